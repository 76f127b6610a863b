"""The deploy's service wait on the real runtime: it returns as soon as the service has a live
target, and as soon as one of its tasks crashes (with the exit code and how to see the output),
not after the whole timeout."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from atelier.deploy import ecs, elbv2
from atelier.deploy.change import Action
from atelier.deploy.clients import Clients

pytestmark = pytest.mark.integration
TIMEOUT = 60.0


def _service(runtime: Any, clients: Clients, name: str, image: str, env: dict[str, str]) -> str:
    ec2 = runtime.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    ecs.ensure_cluster(clients, "waits", {})
    lb = elbv2.ensure_load_balancer(
        clients, f"{name}-lb", f"{name}-tg", vpc, subnets, "sg-none", 8080, "/", {}
    )
    task = ecs.ensure_task_definition(
        clients,
        {
            "family": name,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [
                {
                    "name": "main",
                    "image": image,
                    "essential": True,
                    "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                    "environment": [{"name": k, "value": v} for k, v in env.items()],
                }
            ],
        },
    )
    change = ecs.ensure_service(
        clients, "waits", name, task.arn, 1, subnets, [], lb.target_group_arn, "main", 8080, {}
    )
    assert change.action is Action.CREATED
    return lb.target_group_arn


@pytest.fixture
def clients(runtime: Any) -> Clients:
    return Clients(runtime.endpoint_url, runtime.region)


def test_a_live_service_ends_the_wait(runtime: Any, clients: Clients) -> None:
    since = datetime.now(UTC)
    tg = _service(runtime, clients, "wait-live", "atelier/webservice", {})
    started = time.monotonic()
    change = ecs.wait_service(clients, "waits", "wait-live", tg, TIMEOUT, since)
    assert change.action is Action.UNCHANGED, change
    assert change.detail == "1/1 running, 1 healthy"
    assert time.monotonic() - started < TIMEOUT / 2
    ecs.remove_service(clients, "waits", "wait-live")


def test_a_crashing_service_ends_the_wait_with_its_exit_code(
    runtime: Any, clients: Clients
) -> None:
    since = datetime.now(UTC)
    tg = _service(runtime, clients, "wait-crash", "atelier/exiter", {"EXIT_CODE": "3"})
    started = time.monotonic()
    change = ecs.wait_service(clients, "waits", "wait-crash", tg, TIMEOUT, since)
    assert change.action is Action.PENDING, change
    assert "exited 3" in change.detail and "atelier emulator logs --task" in change.detail
    assert time.monotonic() - started < TIMEOUT / 2
    ecs.remove_service(clients, "waits", "wait-crash")
