"""Train a candidate in an environment the way production does: an ECS RunTask of the pipeline's
own image and task definition, with the command ``python -m <pipeline>.train --register``, as
the pipeline's training role (``atelier-<env>-<pipeline>-train``, RunTask's taskRoleArn override;
the caller needs iam:PassRole on it).

The task writes the candidate into that account's registry (``MODELS_BUCKET`` of its task
definition) with its lineage; this module starts it, waits for it to stop, checks its exit
code and returns the version it registered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.registry.accounts import _endpoint, _session
from ml_common import model_store

#: pipeline -> the model its train.py registers
TRAINABLE = {"structured_data": "structured_data", "non_structured_data_images": "digits_cnn"}


class TrainingFailed(Exception):
    """The training task did not register a candidate; the message says why."""


@dataclass(frozen=True)
class Trained:
    pipeline: str
    model: str
    version: str
    task_arn: str
    seconds: float


def _network(ecs: Any, cluster: str, subnets: list[str], groups: list[str]) -> dict[str, Any]:
    if not subnets:
        return {}
    return {
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": subnets,
                "securityGroups": groups,
                "assignPublicIp": "DISABLED",
            }
        }
    }


def task_network(ecs: Any, family: str, container: str) -> tuple[list[str], list[str]]:
    """``(subnets, security groups)`` the pipeline's tasks run in: its task definition's
    ``SUBNETS`` and ``SECURITY_GROUPS`` (comma-separated, as the lambdas that start tasks read
    them). Fargate refuses an awsvpc task without subnets."""
    definition = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    env = {
        str(e["name"]): str(e.get("value", ""))
        for c in definition.get("containerDefinitions", [])
        if c.get("name") == container
        for e in c.get("environment", [])
    }

    def split(value: str) -> list[str]:
        return [part.strip() for part in value.split(",") if part.strip()]

    return split(env.get("SUBNETS", "")), split(env.get("SECURITY_GROUPS", ""))


def training_role_arn(session: Any, env: str, pipeline: str) -> str:
    """ARN of ``atelier-<env>-<pipeline>-train`` in ``env``'s account (both engines create it
    from topology.yaml's ``training:``); TrainingFailed when it does not exist."""
    name = f"atelier-{env}-{pipeline}-train"
    try:
        return str(session.client("iam", **_endpoint()).get_role(RoleName=name)["Role"]["Arn"])
    except ClientError as exc:
        raise TrainingFailed(
            f"no training role {name} in {env}'s account ({exc.response['Error']['Code']}): "
            "deploy the environment first (its topology `training:` block creates it)"
        ) from exc


def train_in(
    env: str,
    pipeline: str,
    *,
    code_version: str,
    bucket: str | None = None,
    subnets: list[str] | None = None,
    security_groups: list[str] | None = None,
    timeout: float = 900.0,
    progress: Callable[[str], None] = lambda _: None,
) -> Trained:
    """RunTask ``<pipeline>.train --register`` in ``env``'s account; wait; return the candidate."""
    if pipeline not in TRAINABLE:
        raise TrainingFailed(f"{pipeline!r} has no training entry point: {sorted(TRAINABLE)}")
    model = TRAINABLE[pipeline]
    session = _session(env)
    ecs, s3 = session.client("ecs", **_endpoint()), session.client("s3", **_endpoint())
    models_bucket = bucket or f"atelier-{env}-models"
    before = {v["version"] for v in model_store.list_versions(models_bucket, model, s3=s3)}
    cluster, family = f"atelier-{env}", f"atelier-{env}-{pipeline}"
    role_arn = training_role_arn(session, env, pipeline)
    if not subnets:
        subnets, security_groups = task_network(ecs, family, pipeline)
    started = time.monotonic()
    response = ecs.run_task(
        cluster=cluster,
        taskDefinition=family,
        count=1,
        launchType="FARGATE",
        startedBy=f"atelier-train-{pipeline}"[:36],
        overrides={
            # the training role (topology `training:`): the serving role only reads models
            "taskRoleArn": role_arn,
            "containerOverrides": [
                {
                    "name": pipeline,
                    "command": ["python", "-m", f"{pipeline}.train", "--register"],
                    "environment": [
                        {"name": "CODE_VERSION", "value": code_version},
                        {"name": "MODELS_BUCKET", "value": models_bucket},
                    ],
                }
            ],
        },
        **_network(ecs, cluster, subnets or [], security_groups or []),
    )
    if response.get("failures") or not response.get("tasks"):
        raise TrainingFailed(f"RunTask refused the training task: {response.get('failures')}")
    arn = response["tasks"][0]["taskArn"]
    progress(f"training task {arn.rsplit('/', 1)[-1]} started in {env}")
    while True:
        task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            break
        if time.monotonic() - started > timeout:
            ecs.stop_task(cluster=cluster, task=arn, reason="training timed out")
            raise TrainingFailed(f"the training task ran longer than {timeout:.0f} s")
        time.sleep(1.0)
    exit_code = next((c.get("exitCode") for c in task.get("containers", [])), None)
    if exit_code != 0:
        raise TrainingFailed(
            f"the training task stopped with exit code {exit_code}: {task.get('stoppedReason')}"
        )
    after = model_store.list_versions(models_bucket, model, s3=s3)
    new = [v for v in after if v["version"] not in before and v.get("code_version") == code_version]
    if not new:
        raise TrainingFailed(f"the training task exited 0 but registered no {model} candidate")
    version = str(sorted(new, key=lambda v: str(v["created_at"]))[-1]["version"])
    return Trained(pipeline, model, version, arn, time.monotonic() - started)
