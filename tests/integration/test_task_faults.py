"""A job's task killed mid-job, out of memory, or past its timeout: each job ends FAILED with
its reason (``GET /jobs/{id}``'s reconcile, or the task's own timeout), none stays RUNNING."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from atelier.emulator.ecs.memory import OOM_REASON
from atelier_devtools.paths import REPO_ROOT

# the lambdas' layer code, as the layer puts it on sys.path on AWS
for _layer in (REPO_ROOT / "lambdas" / "shared", REPO_ROOT / "pipelines" / "common"):
    if str(_layer) not in sys.path:
        sys.path.insert(0, str(_layer))

pytestmark = pytest.mark.integration
CLUSTER = "faults"
TABLE = "fault-jobs"


@pytest.fixture(scope="module")
def store(runtime: Any) -> Iterator[Any]:
    """The lambdas' own job store and reconcile, pointed at the runtime."""
    from lambda_shared import aws
    from ml_common.jobs import JobStore

    # the lambdas' configuration is their environment (as on AWS): set for this module only
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", runtime.endpoint_url)
        mp.setenv("AWS_DEFAULT_REGION", runtime.region)
        aws.reset()
        runtime.client("dynamodb").create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        )
        runtime.client("ecs").create_cluster(clusterName=CLUSTER)
        try:
            yield JobStore(TABLE)
        finally:
            aws.reset()


def _job(runtime: Any, store: Any, image: str, memory: str, env: dict[str, str]) -> tuple[str, str]:
    ecs = runtime.client("ecs")
    td = ecs.register_task_definition(
        family=f"fault-{image.split('/')[1]}",
        memory=memory,
        containerDefinitions=[{"name": "m", "image": image}],
    )["taskDefinition"]["taskDefinitionArn"]
    job_id = str(uuid.uuid4())
    store.create(job_id, "test", {})
    task = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=td,
        overrides={"containerOverrides": [
            {"name": "m", "environment": [{"name": k, "value": v} for k, v in env.items()]}
        ]},
    )["tasks"][0]  # fmt: skip
    store.set_task_arn(job_id, task["taskArn"])
    store.mark_running(job_id)
    return job_id, task["taskArn"]


def _ends_failed(store: Any, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    from lambda_shared.job_status import reconcile

    deadline = time.monotonic() + timeout
    while True:
        job = reconcile(store, store.get(job_id), CLUSTER, datetime.now(UTC))
        if job["status"] != "RUNNING":
            assert job["status"] == "FAILED", job
            return dict(job)
        assert time.monotonic() < deadline, f"job {job_id} still RUNNING after {timeout}s"
        time.sleep(0.2)


def test_a_task_out_of_memory_is_killed_and_its_job_fails_saying_so(
    runtime: Any, store: Any
) -> None:
    job_id, arn = _job(runtime, store, "atelier/hog", "96", {"HOG_MIB": "300"})
    job = _ends_failed(store, job_id)
    assert OOM_REASON in job["error"] and "exit code 137" in job["error"], job["error"]
    task = runtime.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
    assert task["stoppedReason"] == OOM_REASON


def test_a_task_within_its_memory_keeps_running(runtime: Any, store: Any) -> None:
    job_id, arn = _job(runtime, store, "atelier/hog", "512", {"HOG_MIB": "50"})
    time.sleep(2.0)
    task = runtime.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
    assert task["lastStatus"] == "RUNNING", task.get("stoppedReason")
    runtime.client("ecs").stop_task(cluster=CLUSTER, task=arn, reason="test done")
    assert "test done" in _ends_failed(store, job_id)["error"]


def test_a_task_killed_mid_job_fails_its_job_with_the_exit_code(runtime: Any, store: Any) -> None:
    job_id, arn = _job(runtime, store, "atelier/sleeper", "256", {})
    pid = next(t["pid"] for t in runtime.status()["tasks"] if t["task_arn"] == arn)
    os.kill(pid, signal.SIGKILL)
    job = _ends_failed(store, job_id)
    assert "exit code 137" in job["error"] and "Essential container" in job["error"], job["error"]
