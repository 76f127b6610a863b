"""ECS tasks of the job pipelines: start one with ``RunTask``, read how one ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_shared.aws import client


class TaskStartError(Exception):
    """RunTask did not start the task; the message says why (safe to store on the job)."""


@dataclass(frozen=True)
class Launch:
    """Where and how a pipeline's task runs."""

    cluster: str
    task_definition: str
    container: str  # the container to override: named after the pipeline (topology expand)
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    launch_type: str | None = "FARGATE"
    capacity_provider: str | None = None  # wins over launch_type (GPU capacity on AWS)


@dataclass(frozen=True)
class TaskEnd:
    """A task's state as DescribeTasks reports it (``missing`` when ECS no longer knows it)."""

    last_status: str
    stopped_reason: str = ""
    stop_code: str = ""
    exit_code: int | None = None
    container_reason: str = ""
    missing: bool = False

    @property
    def stopped(self) -> bool:
        return self.missing or self.last_status == "STOPPED"

    def describe(self) -> str:
        """Why the task ended, for a FAILED job's ``error``."""
        if self.missing:
            return "the job's ECS task no longer exists (it stopped without reporting a result)"
        parts = ["the job's ECS task stopped without reporting a result"]
        if self.exit_code is not None:
            parts.append(f"exit code {self.exit_code}")
        for text in (self.stop_code, self.stopped_reason, self.container_reason):
            if text:
                parts.append(text)
        return "; ".join(parts)


def run_task(launch: Launch, env: dict[str, str], *, started_by: str) -> str:
    """Start one task with ``env`` added to its container; returns the task ARN."""
    request: dict[str, Any] = {
        "cluster": launch.cluster,
        "taskDefinition": launch.task_definition,
        "count": 1,
        "startedBy": started_by[:36],
        "overrides": {
            "containerOverrides": [
                {
                    "name": launch.container,
                    "environment": [{"name": k, "value": v} for k, v in sorted(env.items())],
                }
            ]
        },
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": launch.subnets,
                "securityGroups": launch.security_groups,
                "assignPublicIp": "DISABLED",
            }
        },
    }
    if launch.capacity_provider:
        request["capacityProviderStrategy"] = [
            {"capacityProvider": launch.capacity_provider, "weight": 1, "base": 0}
        ]
    elif launch.launch_type:
        request["launchType"] = launch.launch_type
    try:
        response = client("ecs").run_task(**request)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise TaskStartError(f"RunTask failed: {err.get('Code')}: {err.get('Message')}") from exc
    except BotoCoreError as exc:
        raise TaskStartError(f"RunTask failed: {exc}") from exc
    tasks = response.get("tasks") or []
    if not tasks:
        failures = response.get("failures") or [{}]
        reasons = "; ".join(
            f"{f.get('reason', 'unknown')}{': ' + f['detail'] if f.get('detail') else ''}"
            for f in failures
        )
        raise TaskStartError(f"RunTask started no task: {reasons}")
    return str(tasks[0]["taskArn"])


def task_end(cluster: str, task_arn: str) -> TaskEnd:
    """The task's current state (raises botocore errors: the caller decides what they mean)."""
    response = client("ecs").describe_tasks(cluster=cluster, tasks=[task_arn])
    tasks = response.get("tasks") or []
    if not tasks:
        reasons = {f.get("reason") for f in response.get("failures") or []}
        return TaskEnd(
            last_status="MISSING" if "MISSING" in reasons else "UNKNOWN",
            missing="MISSING" in reasons,
        )
    task = tasks[0]
    containers = task.get("containers") or []
    exit_code = next(
        (c["exitCode"] for c in containers if isinstance(c.get("exitCode"), int)), None
    )
    return TaskEnd(
        last_status=str(task.get("lastStatus", "")),
        stopped_reason=str(task.get("stoppedReason") or ""),
        stop_code=str(task.get("stopCode") or ""),
        exit_code=exit_code,
        container_reason=next((str(c["reason"]) for c in containers if c.get("reason")), ""),
    )
