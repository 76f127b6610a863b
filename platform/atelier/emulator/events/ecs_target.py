"""An EventBridge target that is an ECS cluster runs its task definition (EventBridge User
Guide, "Amazon ECS tasks as targets"): ``EcsParameters`` gives the task definition, count,
launch type, network configuration; ``Input`` becomes the container overrides when it is one."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("atelier.events")
_counts = {"ecs_runs": 0, "ecs_failures": 0}


def counters() -> dict[str, int]:
    return dict(_counts)


def is_ecs_target(target: dict[str, Any]) -> bool:
    return ":ecs:" in str(target.get("Arn", "")) and ":cluster/" in str(target.get("Arn", ""))


def run_task_args(target: dict[str, Any]) -> dict[str, Any]:
    params = target.get("EcsParameters") or {}
    args: dict[str, Any] = {
        "cluster": target["Arn"],
        "taskDefinition": params["TaskDefinitionArn"],
        "count": int(params.get("TaskCount", 1)),
        "startedBy": "events-rule",
    }
    if params.get("LaunchType"):
        args["launchType"] = params["LaunchType"]
    if params.get("NetworkConfiguration"):
        vpc = params["NetworkConfiguration"].get("awsvpcConfiguration") or {}
        args["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": vpc.get("Subnets", []),
                "securityGroups": vpc.get("SecurityGroups", []),
                "assignPublicIp": vpc.get("AssignPublicIp", "DISABLED"),
            }
        }
    raw = target.get("Input")
    if raw:
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and "containerOverrides" in doc:
            args["overrides"] = doc
    return args


def launch(target: dict[str, Any], run_task: Callable[..., Any]) -> None:
    """RunTask on a thread: the scheduler never waits for a task to start."""

    def go() -> None:
        try:
            run_task(**run_task_args(target))
            _counts["ecs_runs"] += 1
        except Exception:
            _counts["ecs_failures"] += 1
            log.exception("EventBridge ECS target %s: RunTask failed", target.get("Arn"))

    threading.Thread(target=go, name="atelier-events-ecs", daemon=True).start()
