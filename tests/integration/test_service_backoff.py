"""A service that cannot start is restarted with back-off (not in a tight loop), shows as
unhealthy in the runtime's status and in DescribeServices events."""

from __future__ import annotations

import time
from typing import Any

import pytest

from atelier.emulator.ecs.backoff import BASE_S

pytestmark = pytest.mark.integration
WATCH_S = 6.0


def _failed_tasks(ecs: Any, cluster: str) -> int:
    """Tasks that were started and failed (the next one waits PENDING through its back-off)."""
    return len(ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")["taskArns"])


@pytest.mark.parametrize("image", ["atelier/exiter", "atelier/badcmd"])
def test_a_failing_service_backs_off_and_says_so(runtime: Any, image: str) -> None:
    ecs = runtime.client("ecs")
    cluster = f"boff-{image.split('/')[1]}"
    ecs.create_cluster(clusterName=cluster)
    td = ecs.register_task_definition(
        family=cluster,
        containerDefinitions=[
            {"name": "m", "image": image, "environment": [{"name": "EXIT_CODE", "value": "3"}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    t0 = time.monotonic()
    ecs.create_service(cluster=cluster, serviceName="broken", taskDefinition=td, desiredCount=1)
    assert time.monotonic() - t0 < 1.0, "CreateService waited for a service that cannot start"
    time.sleep(WATCH_S)
    started = _failed_tasks(ecs, cluster)
    # delays 1, 2, 4 s: at most 3 starts in 6 s (a tight loop starts dozens)
    bound = 1 + sum(1 for n in range(10) if sum(BASE_S * 2**i for i in range(n + 1)) <= WATCH_S)
    assert 2 <= started <= bound, f"{started} tasks started in {WATCH_S}s (bound {bound})"
    (row,) = [s for s in runtime.status()["services"] if s["service"] == f"{cluster}/broken"]
    assert row["health"] == "unhealthy" and row["failures"] >= 2, row
    svc = ecs.describe_services(cluster=cluster, services=["broken"])["services"][0]
    messages = [e["message"] for e in svc["events"]]
    assert any("back-off" in m and "(service broken)" in m for m in messages), messages
    ecs.update_service(cluster=cluster, service="broken", desiredCount=0)
    ecs.delete_service(cluster=cluster, service="broken")
