"""Run the hourly drift check now: the ECS task the ``<prefix>drift-hourly`` EventBridge rule
targets, with that target's own parameters and overrides (EventBridge has no "fire now": an
operator runs the target's task, ``aws ecs run-task`` with the same arguments). Then the check's
summary (``drift/latest.json``) and its self-contained HTML report, from the artifacts bucket.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any


class DriftRunError(RuntimeError):
    """The rule has no ECS target, or its task did not finish well in time."""


@dataclass(frozen=True)
class DriftRun:
    task_arn: str
    exit_code: int
    summary: dict[str, Any]
    report_html: bytes


def run_task_args(target: dict[str, Any]) -> dict[str, Any]:
    """RunTask's arguments for an EventBridge ECS target (the same mapping EventBridge makes)."""
    params = target.get("EcsParameters")
    if not params:
        raise DriftRunError(f"target {target.get('Id')} of the rule is not an ECS task")
    args: dict[str, Any] = {
        "cluster": target["Arn"],
        "taskDefinition": params["TaskDefinitionArn"],
        "count": int(params.get("TaskCount", 1)),
        "startedBy": "drift-on-demand",
    }
    if params.get("LaunchType"):
        args["launchType"] = params["LaunchType"]
    vpc = (params.get("NetworkConfiguration") or {}).get("awsvpcConfiguration")
    if vpc:
        args["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": vpc.get("Subnets", []),
                "securityGroups": vpc.get("SecurityGroups", []),
                "assignPublicIp": vpc.get("AssignPublicIp", "DISABLED"),
            }
        }
    if target.get("Input"):
        doc = json.loads(target["Input"])
        if isinstance(doc, dict) and "containerOverrides" in doc:
            args["overrides"] = doc
    return args


def run_now(
    clients: Any, rule: str, artifacts_bucket: str, timeout: float = 900.0, poll: float = 2.0
) -> DriftRun:
    """Run the rule's drift task, wait for it to stop (exit 0), return its summary and report."""
    targets = clients("events").list_targets_by_rule(Rule=rule)["Targets"]
    ecs_targets = [t for t in targets if t.get("EcsParameters")]
    if not ecs_targets:
        raise DriftRunError(f"rule {rule} has no ECS task target: {[t['Id'] for t in targets]}")
    args = run_task_args(ecs_targets[0])
    ecs = clients("ecs")
    started = ecs.run_task(**args)
    if started.get("failures") or not started.get("tasks"):
        raise DriftRunError(f"RunTask refused: {started.get('failures')}")
    arn, cluster = started["tasks"][0]["taskArn"], args["cluster"]
    deadline = time.monotonic() + timeout
    while True:
        task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            break
        if time.monotonic() > deadline:
            raise DriftRunError(f"drift task {arn} still {task['lastStatus']} after {timeout} s")
        time.sleep(poll)
    code = next((c.get("exitCode") for c in task.get("containers", [])), None)
    if code != 0:
        raise DriftRunError(
            f"drift task {arn} stopped with exit code {code}: {task.get('stoppedReason')}"
        )
    s3 = clients("s3")
    summary = json.loads(
        s3.get_object(Bucket=artifacts_bucket, Key="drift/latest.json")["Body"].read()
    )
    report = s3.get_object(Bucket=artifacts_bucket, Key=summary["report_key"])["Body"].read()
    return DriftRun(arn, int(code), summary, report)
