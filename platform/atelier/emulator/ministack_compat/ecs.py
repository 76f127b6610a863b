"""MiniStack's ECS internals (pinned: ministack==1.5.33), for the compute agent.

Everything the compute agent reads or writes in MiniStack's ECS, ELBv2 and CloudWatch Logs
state goes through here, so a MiniStack upgrade is checked in one place:
``tests/unit/emulator/ministack_compat/test_ecs.py`` asserts that every name in
:data:`REQUIRED_INTERNALS` still exists.

MiniStack keeps its stores in ``AccountRegionScopedDict`` objects keyed by
``(account, region, key)``; its functions read the account and region from context vars, so
every call made from the agent's thread is wrapped in ``request_scope``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ministack.core.concurrency import resource_lock
from ministack.core.responses import new_uuid, request_scope
from ministack.services import alb, cloudwatch_logs, ecs

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.concurrency": ("resource_lock",),
    "ministack.core.responses": ("new_uuid", "request_scope"),
    "ministack.services.alb": ("_targets.get",),
    "ministack.services.cloudwatch_logs": ("_put_log_events",),
    "ministack.services.ecs": (
        "_awslogs_config",
        "_cluster_name_from_arn",
        "_ensure_awslogs_stream",
        "_iso",
        "_mark_task_running",
        "_mark_task_stopped",
        "_reconcile_service_tasks",
        "_refresh_service_state",
        "_resolve_td_key",
        "_services._data.items",
        "_services.get",
        "_tags",
        "_tags.get",
        "_task_defs.get",
        "_tasks._data.items",
    ),
}

Task = dict[str, Any]


@dataclass(frozen=True)
class TaskRef:
    """One task record in MiniStack, with the account and region it lives in."""

    account: str
    region: str
    arn: str
    task: Task

    @property
    def task_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def cluster(self) -> str:
        return str(ecs._cluster_name_from_arn(self.task.get("clusterArn", "")) or "default")

    @property
    def created_epoch(self) -> float:
        value = self.task.get("createdAt")
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        return float(value or 0.0)


@contextmanager
def scope(account: str, region: str) -> Iterator[None]:
    with request_scope(account, region):
        yield


def all_tasks() -> list[TaskRef]:
    """Every ECS task in every account and region (a snapshot)."""
    return [TaskRef(key[0], key[1], key[2], task) for key, task in list(ecs._tasks._data.items())]


def is_active(ref: TaskRef) -> bool:
    """Not STOPPED and not asked to stop."""
    return ref.task.get("lastStatus") != "STOPPED" and ref.task.get("desiredStatus") != "STOPPED"


def task_definition(ref: TaskRef) -> dict[str, Any] | None:
    with scope(ref.account, ref.region):
        td = ecs._task_defs.get(ecs._resolve_td_key(ref.task.get("taskDefinitionArn", "")))
    return dict(td) if td else None


def mark_running(ref: TaskRef, pid: int | str) -> None:
    with scope(ref.account, ref.region):
        with resource_lock("ecs-task", ref.arn):
            for container in ref.task.get("containers", []):
                container["lastStatus"] = "RUNNING"
                container["runtimeId"] = f"atelier-{pid}"
        ecs._mark_task_running(ref.arn, ref.task)


def mark_stopped(ref: TaskRef, reason: str, stop_code: str, exit_code: int | None) -> bool:
    """Move the task to STOPPED (MiniStack recounts services and resyncs target groups)."""
    with scope(ref.account, ref.region):
        return bool(ecs._mark_task_stopped(ref.arn, ref.task, reason, stop_code, exit_code))


def set_exit_code(ref: TaskRef, exit_code: int) -> None:
    """Record the real exit code of a task MiniStack already marked STOPPED (StopTask)."""
    with scope(ref.account, ref.region), resource_lock("ecs-task", ref.arn):
        for container in ref.task.get("containers", []):
            container["exitCode"] = exit_code
            container["lastStatus"] = "STOPPED"


def set_private_ip(ref: TaskRef, ip: str) -> None:
    """Report ``ip`` as the task's awsvpc address; MiniStack publishes it to target groups."""
    with scope(ref.account, ref.region):
        with resource_lock("ecs-task", ref.arn):
            ref.task["_container_ip"] = ip
            details = [{"name": "privateIPv4Address", "value": ip}]
            if ref.task.get("_subnet"):
                details.insert(0, {"name": "subnetId", "value": ref.task["_subnet"]})
            ref.task["attachments"] = [
                {
                    "id": f"eni-attach-{ref.task_id[:12]}",
                    "type": "ElasticNetworkInterface",
                    "status": "ATTACHED",
                    "details": details,
                }
            ]
            for container in ref.task.get("containers", []):
                container["networkInterfaces"] = [{"privateIpv4Address": ip}]
        ecs._refresh_service_state(ref.cluster, ref.task.get("group", ""))


def add_tags(ref: TaskRef, tags: dict[str, str]) -> None:
    """Tags shown by DescribeTasks(include=["TAGS"]) and ListTagsForResource."""
    with scope(ref.account, ref.region), resource_lock("ecs-task", ref.arn):
        current = [t for t in (ecs._tags.get(ref.arn) or []) if t.get("key") not in tags]
        current += [{"key": k, "value": v} for k, v in tags.items()]
        ecs._tags[ref.arn] = current
        ref.task["tags"] = list(current)


def put_logs(ref: TaskRef, container_def: dict[str, Any], lines: list[str]) -> bool:
    """Append lines to the container's awslogs stream; False when it has no awslogs config."""
    config = ecs._awslogs_config(container_def, ref.task_id, f"atelier-{ref.task_id}")
    if not config or not lines:
        return bool(config)
    with scope(ref.account, config["region"] or ref.region):
        if not ecs._ensure_awslogs_stream(config):
            return False
        now = int(time.time() * 1000)
        cloudwatch_logs._put_log_events(
            {
                "logGroupName": config["group"],
                "logStreamName": config["stream"],
                "logEvents": [{"timestamp": now, "message": line} for line in lines],
            }
        )
    return True


@dataclass(frozen=True)
class ServiceRef:
    account: str
    region: str
    key: str  # "<cluster>/<service>"
    service: dict[str, Any]


def all_services() -> list[ServiceRef]:
    return [
        ServiceRef(key[0], key[1], key[2], svc) for key, svc in list(ecs._services._data.items())
    ]


def reconcile_service(ref: ServiceRef) -> None:
    """Ask MiniStack's own service scheduler to bring the service to desiredCount."""
    with scope(ref.account, ref.region):
        ecs._reconcile_service_tasks(ref.key.split("/", 1)[0], ref.key)


def target_groups_of(ref: ServiceRef) -> dict[str, list[dict[str, Any]]]:
    """Target group ARN -> registered targets, for the service's load balancers."""
    out: dict[str, list[dict[str, Any]]] = {}
    with scope(ref.account, ref.region):
        for lb in ref.service.get("loadBalancers") or []:
            arn = lb.get("targetGroupArn")
            if arn:
                out[arn] = [dict(t) for t in alb._targets.get(arn, [])]
    return out


def add_service_event(ref: TaskRef, message: str) -> None:
    """An event on the task's service (DescribeServices ``events``, newest first)."""
    group = str(ref.task.get("group", ""))
    if not group.startswith("service:"):
        return
    name = group.split(":", 1)[1]
    with scope(ref.account, ref.region):
        svc = ecs._services.get(f"{ref.cluster}/{name}")
        if svc is None:
            return
        event = {
            "id": new_uuid(),
            "createdAt": ecs._iso(),
            "message": f"(service {name}) {message}",
        }
        svc.setdefault("events", []).insert(0, event)
        del svc["events"][100:]


def service_of(ref: TaskRef) -> dict[str, Any] | None:
    """The service that owns a task (its ``group`` is ``service:<name>``), if any."""
    group = str(ref.task.get("group", ""))
    if not group.startswith("service:"):
        return None
    with scope(ref.account, ref.region):
        svc = ecs._services.get(f"{ref.cluster}/{group.split(':', 1)[1]}")
    return dict(svc) if svc else None


def service_exists(account: str, region: str, cluster: str, name: str) -> bool:
    """An ACTIVE service ``name`` in ``cluster`` (Application Auto Scaling checks it)."""
    with scope(account, region):
        svc = ecs._services.get(f"{cluster}/{name}")
    return bool(svc) and svc.get("status") == "ACTIVE"
