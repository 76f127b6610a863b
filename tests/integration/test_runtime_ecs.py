"""ECS tasks run as real processes; their lifecycle shows through the ECS API."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration
LOG_GROUP = "/ecs/atelier-runtime-tests"


@pytest.fixture(scope="module")
def ecs(runtime: Any) -> Any:
    client = runtime.client("ecs")
    client.create_cluster(clusterName="rt")
    logs = runtime.client("logs")
    logs.create_log_group(logGroupName=LOG_GROUP)
    return client


def register(ecs: Any, image: str, **container: Any) -> str:
    definition = {
        "name": "main",
        "image": image,
        "essential": True,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": LOG_GROUP,
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "ecs",
            },
        },
        **container,
    }
    family = f"t-{uuid.uuid4().hex[:8]}"
    td = ecs.register_task_definition(
        family=family,
        containerDefinitions=[definition],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        requiresCompatibilities=["FARGATE"],
    )
    return str(td["taskDefinition"]["taskDefinitionArn"])


def run(ecs: Any, td: str, env: dict[str, str] | None = None) -> str:
    overrides = {
        "containerOverrides": [
            {
                "name": "main",
                "environment": [{"name": k, "value": v} for k, v in (env or {}).items()],
            }
        ]
    }
    resp = ecs.run_task(
        cluster="rt",
        taskDefinition=td,
        launchType="FARGATE",
        overrides=overrides,
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )
    assert resp["failures"] == []
    return str(resp["tasks"][0]["taskArn"])


def wait_stopped(ecs: Any, arn: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = ecs.describe_tasks(cluster="rt", tasks=[arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED" or time.monotonic() > deadline:
            return task
        time.sleep(0.1)


def log_lines(runtime: Any, arn: str) -> list[str]:
    stream = f"ecs/main/{arn.rsplit('/', 1)[-1]}"
    events = runtime.client("logs").get_log_events(logGroupName=LOG_GROUP, logStreamName=stream)
    return [e["message"] for e in events["events"]]


def test_task_exiting_0_and_task_exiting_3_are_stopped_with_their_exit_codes(
    runtime: Runtime, ecs: Any
) -> None:
    td = register(ecs, "123456789012.dkr.ecr.us-east-1.amazonaws.com/atelier/exiter:v1")
    ok, failed = run(ecs, td), run(ecs, td, {"EXIT_CODE": "3"})
    tasks = {t["taskArn"]: t for t in (wait_stopped(ecs, ok), wait_stopped(ecs, failed))}
    for arn, code in ((ok, 0), (failed, 3)):
        task = tasks[arn]
        assert task["lastStatus"] == "STOPPED"
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == "Essential container in task exited"
        assert task["containers"][0]["exitCode"] == code


def test_process_gets_dockerfile_env_overrides_endpoint_and_its_own_address(
    runtime: Runtime, ecs: Any
) -> None:
    td = register(ecs, "atelier/exiter")
    arn = run(ecs, td, {"JOB_ID": "job-42"})
    task = wait_stopped(ecs, arn)
    ip = next(
        d["value"] for d in task["attachments"][0]["details"] if d["name"] == "privateIPv4Address"
    )
    assert ip.startswith("127.0.") and ip != "127.0.0.1"
    lines = log_lines(runtime, arn)
    assert "greeting=hello from the image" in lines  # Dockerfile ENV
    assert "job=job-42" in lines  # RunTask override
    assert f"endpoint={runtime.endpoint_url}" in lines
    assert f"host={ip}" in lines


def wait_log(runtime: Any, arn: str, line: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if line in log_lines(runtime, arn):
                return
        except runtime.client("logs").exceptions.ResourceNotFoundException:
            pass
        assert time.monotonic() < deadline, f"{line!r} never logged"
        time.sleep(0.1)


def test_task_is_running_with_a_live_process_until_stop_task(runtime: Runtime, ecs: Any) -> None:
    td = register(ecs, "atelier/sleeper", stopTimeout=5)
    arn = run(ecs, td)
    task = ecs.describe_tasks(cluster="rt", tasks=[arn])["tasks"][0]
    assert task["lastStatus"] == "RUNNING"
    live = {t["task_arn"]: t for t in runtime.status()["tasks"]}
    assert live[arn]["pid"] > 0
    wait_log(runtime, arn, "sleeping")  # its SIGTERM handler is installed
    ecs.stop_task(cluster="rt", task=arn, reason="test says stop")
    task = wait_stopped(ecs, arn)
    assert task["stoppedReason"] == "test says stop"
    deadline = time.monotonic() + 10
    while arn in {t["task_arn"] for t in runtime.status()["tasks"]}:
        assert time.monotonic() < deadline, "the process outlived StopTask"
        time.sleep(0.1)
    assert "got SIGTERM" in log_lines(runtime, arn)
    assert (
        ecs.describe_tasks(cluster="rt", tasks=[arn])["tasks"][0]["containers"][0]["exitCode"] == 0
    )


def test_stop_task_kills_a_process_that_ignores_sigterm_after_stop_timeout(
    runtime: Runtime, ecs: Any
) -> None:
    td = register(
        ecs, "atelier/sleeper", stopTimeout=1, environment=[{"name": "IGNORE_TERM", "value": "1"}]
    )
    arn = run(ecs, td)
    wait_log(runtime, arn, "sleeping")
    ecs.stop_task(cluster="rt", task=arn)
    deadline = time.monotonic() + 10
    while arn in {t["task_arn"] for t in runtime.status()["tasks"]}:
        assert time.monotonic() < deadline, "SIGKILL never came"
        time.sleep(0.1)
    task = ecs.describe_tasks(cluster="rt", tasks=[arn])["tasks"][0]
    assert task["containers"][0]["exitCode"] == 137  # 128 + SIGKILL


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("atelier/no-such-pipeline", "CannotPullContainerError"),
        ("docker.io/library/nginx:latest", "CannotPullContainerError"),
        ("atelier/badcmd", "CannotStartContainerError"),
    ],
)
def test_bad_images_and_commands_end_stopped_with_a_reason(
    runtime: Runtime, ecs: Any, image: str, reason: str
) -> None:
    arn = run(ecs, register(ecs, image))
    task = wait_stopped(ecs, arn)
    assert task["lastStatus"] == "STOPPED"
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith(reason)
    assert any(reason in line for line in log_lines(runtime, arn))
    # and the runtime keeps serving
    assert ecs.list_clusters()["clusterArns"]


def test_command_override_wins_over_the_dockerfile(runtime: Runtime, ecs: Any) -> None:
    td = register(ecs, "atelier/exiter", command=["python", "-c", "raise SystemExit(7)"])
    assert wait_stopped(ecs, run(ecs, td))["containers"][0]["exitCode"] == 7
