"""The ECS cluster, one task definition per pipeline, and the long-running service."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Action, Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

# Keys we set on a container definition; the API adds defaults we must not compare.
_CONTAINER_KEYS = (
    "name",
    "image",
    "essential",
    "environment",
    "portMappings",
    "logConfiguration",
    "resourceRequirements",
)
_TASK_KEYS = (
    "family",
    "networkMode",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "taskRoleArn",
    "executionRoleArn",
)


@dataclass(frozen=True)
class TaskDefinition:
    arn: str
    change: Change


def ensure_cluster(clients: Clients, name: str, tags: dict[str, str]) -> Change:
    ecs = clients("ecs")
    found = ecs.describe_clusters(clusters=[name])["clusters"]
    if found and found[0]["status"] == "ACTIVE":
        return unchanged("ecs.cluster", name)
    ecs.create_cluster(
        clusterName=name,
        settings=[{"name": "containerInsights", "value": "enabled"}],
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )
    return created("ecs.cluster", name)


def _normal(definition: dict[str, Any]) -> dict[str, Any]:
    out = {k: definition.get(k) for k in _TASK_KEYS}
    out["requiresCompatibilities"] = sorted(out["requiresCompatibilities"] or [])
    out["containerDefinitions"] = [
        {
            **{k: c.get(k) for k in _CONTAINER_KEYS},
            "environment": sorted(c.get("environment") or [], key=lambda e: e["name"]),
            "portMappings": [
                {k: p.get(k) for k in ("containerPort", "protocol")}
                for p in c.get("portMappings") or []
            ],
            "resourceRequirements": c.get("resourceRequirements") or [],
        }
        for c in definition.get("containerDefinitions", [])
    ]
    return out


def ensure_task_definition(clients: Clients, definition: dict[str, Any]) -> TaskDefinition:
    """Register a new revision only when the latest one differs from ``definition``."""
    ecs = clients("ecs")
    family = definition["family"]
    try:
        latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except ClientError as exc:
        if not (is_not_found(exc) or exc.response["Error"]["Code"] == "ClientException"):
            raise
        latest = None
    same = latest is not None and latest.get("status") == "ACTIVE"
    if same and latest is not None and _normal(latest) == _normal(definition):
        return TaskDefinition(latest["taskDefinitionArn"], unchanged("ecs.task_definition", family))
    arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    action = updated if same else created  # an INACTIVE latest revision is a deleted family
    return TaskDefinition(arn, action("ecs.task_definition", family, arn.rsplit(":", 1)[-1]))


def remove_task_definitions(clients: Clients, family: str) -> Change:
    ecs = clients("ecs")
    arns: list[str] = []
    for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family):
        arns += [
            a
            for a in page["taskDefinitionArns"]
            if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family
        ]
    for arn in arns:
        ecs.deregister_task_definition(taskDefinition=arn)
    if arns:
        with contextlib.suppress(ClientError):  # not every API has it: deregistered is gone
            ecs.delete_task_definitions(taskDefinitions=arns)
    kind = "ecs.task_definition"
    return deleted(kind, family, f"{len(arns)} revisions") if arns else absent(kind, family)


def ensure_service(
    clients: Clients,
    cluster: str,
    name: str,
    task_definition_arn: str,
    desired: int,
    subnets: list[str],
    security_groups: list[str],
    target_group_arn: str,
    container: str,
    port: int,
    tags: dict[str, str],
) -> Change:
    ecs = clients("ecs")
    found = ecs.describe_services(cluster=cluster, services=[name])["services"]
    live = [s for s in found if s["status"] != "INACTIVE"]
    if live:
        service = live[0]
        fixed = []
        if service["taskDefinition"] != task_definition_arn:
            fixed.append(f"task definition {task_definition_arn.rsplit('/', 1)[-1]}")
        if service["desiredCount"] != desired:
            fixed.append(f"desired {desired}")
        if not fixed:
            return unchanged("ecs.service", name)
        ecs.update_service(
            cluster=cluster, service=name, taskDefinition=task_definition_arn, desiredCount=desired
        )
        return updated("ecs.service", name, ", ".join(fixed))
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition=task_definition_arn,
        desiredCount=desired,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": subnets,
                "securityGroups": security_groups,
                "assignPublicIp": "DISABLED",
            }
        },
        loadBalancers=[
            {"targetGroupArn": target_group_arn, "containerName": container, "containerPort": port}
        ],
        healthCheckGracePeriodSeconds=60,
        deploymentConfiguration={
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )
    return created("ecs.service", name, f"desired {desired}")


def _crash(ecs: Any, cluster: str, name: str, since: datetime) -> str | None:
    """Why a task of the service stopped after ``since`` with a failure, if one did."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus="STOPPED")["taskArns"]
    if not arns:
        return None
    for task in ecs.describe_tasks(cluster=cluster, tasks=arns[-100:])["tasks"]:
        stopped = task.get("stoppedAt")
        codes = [c.get("exitCode") for c in task.get("containers", [])]
        if stopped is None or stopped < since or not any(code not in (0, None) for code in codes):
            continue
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        return (
            f"task {task_id} exited {codes[0]} ({task.get('stoppedReason', 'stopped')}); "
            f"its output: atelier emulator logs --task {task_id}"
        )
    return None


def wait_service(
    clients: Clients,
    cluster: str,
    name: str,
    target_group_arn: str,
    timeout: float,
    since: datetime,
) -> Change:
    """Wait until the service runs its tasks and the ALB has a live target, or time out.

    Returns at once, reporting why, when one of its tasks started after ``since`` has crashed:
    a crash-looping service will not turn healthy by waiting.
    """
    ecs, elbv2 = clients("ecs"), clients("elbv2")
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        health = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
        healthy = [
            t for t in health["TargetHealthDescriptions"] if t["TargetHealth"]["State"] == "healthy"
        ]
        running, desired = service["runningCount"], service["desiredCount"]
        state = f"{running}/{desired} running, {len(healthy)} healthy"
        if running >= desired and len(healthy) >= desired:
            return Change("ecs.service", name, Action.UNCHANGED, state)
        crash = _crash(ecs, cluster, name, since)
        if crash is not None:
            return Change("ecs.service", name, Action.PENDING, f"{state}; {crash}")
        if time.monotonic() >= deadline:
            return Change("ecs.service", name, Action.PENDING, f"{state} after {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def remove_service(clients: Clients, cluster: str, name: str) -> Change:
    ecs = clients("ecs")
    try:
        found = ecs.describe_services(cluster=cluster, services=[name])["services"]
    except ClientError as exc:
        if is_not_found(exc):
            return absent("ecs.service", name)
        raise
    if not [s for s in found if s["status"] != "INACTIVE"]:
        return absent("ecs.service", name)
    ecs.update_service(cluster=cluster, service=name, desiredCount=0)
    ecs.delete_service(cluster=cluster, service=name, force=True)
    return deleted("ecs.service", name)


def remove_cluster(clients: Clients, name: str) -> Change:
    ecs = clients("ecs")
    found = ecs.describe_clusters(clusters=[name])["clusters"]
    if not found or found[0]["status"] != "ACTIVE":
        return absent("ecs.cluster", name)
    for page in ecs.get_paginator("list_tasks").paginate(cluster=name):
        for arn in page["taskArns"]:
            ecs.stop_task(cluster=name, task=arn, reason="atelier destroy")
    ecs.delete_cluster(cluster=name)
    return deleted("ecs.cluster", name)
