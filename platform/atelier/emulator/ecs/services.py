"""The ECS service supervisor: services keep ``desiredCount`` live processes.

MiniStack's own service scheduler does the ECS bookkeeping (deployments, counts, target group
membership): when the task executor marks a crashed task STOPPED, MiniStack's scheduler starts
a replacement task and the executor gives it a process on its next pass. This supervisor is the
safety net around that: whenever an ACTIVE service has fewer active tasks than it wants (after
a restart with ``--persist``, or when a replacement was not scheduled), it asks MiniStack's
scheduler to reconcile. Target groups only ever list tasks whose process answers on its port:
the executor publishes a service task's address when its port accepts connections, and
MiniStack withdraws it when the task stops.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from atelier.emulator.ministack_compat import ecs as bridge

log = logging.getLogger("atelier.services")


class ServiceSupervisor:
    def __init__(self, min_interval: float = 1.0) -> None:
        self.min_interval = min_interval
        self._last: dict[str, float] = {}

    def _active_tasks(self, svc: dict[str, Any]) -> int:
        group = f"service:{svc.get('serviceName')}"
        return sum(
            1
            for ref in bridge.all_tasks()
            if ref.task.get("group") == group
            and ref.task.get("clusterArn") == svc.get("clusterArn")
            and bridge.is_active(ref)
        )

    def reconcile(self) -> None:
        now = time.time()
        for ref in bridge.all_services():
            svc = ref.service
            if svc.get("status") != "ACTIVE":
                continue
            primary: dict[str, Any] = next(
                (d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), {}
            )
            if primary.get("rolloutState") == "FAILED":
                continue
            if self._active_tasks(svc) >= int(svc.get("desiredCount", 0)):
                continue
            if now - self._last.get(ref.key, 0.0) < self.min_interval:
                continue
            self._last[ref.key] = now
            log.info("service %s below desiredCount: asking the scheduler for tasks", ref.key)
            bridge.reconcile_service(ref)

    def status(self) -> list[dict[str, Any]]:
        out = []
        for ref in bridge.all_services():
            svc = ref.service
            targets = bridge.target_groups_of(ref)
            out.append(
                {
                    "service": ref.key,
                    "status": svc.get("status"),
                    "desired": svc.get("desiredCount", 0),
                    "running": svc.get("runningCount", 0),
                    "targets": {
                        arn.rsplit("/", 2)[-2]: [f"{t['Id']}:{t.get('Port')}" for t in tgts]
                        for arn, tgts in targets.items()
                    },
                }
            )
        return out
