"""A service process killed under load: the ALB stops routing to it at once; with two tasks no
request fails, with one the errors stop as soon as the replacement answers (within 5 s)."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.integration
CLIENTS = 4
RECOVERY_S = 5.0


def _service(runtime: Any, name: str, desired: int) -> None:
    ecs, elb, ec2 = runtime.client("ecs"), runtime.client("elbv2"), runtime.client("ec2")
    ecs.create_cluster(clusterName=name)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    lb = elb.create_load_balancer(Name=f"{name}-lb", Subnets=subnets, Scheme="internal")
    tg = elb.create_target_group(
        Name=f"{name}-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )  # fmt: skip
    td = ecs.register_task_definition(
        family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": "atelier/webservice",
                               "portMappings": [{"containerPort": 8080}]}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    ecs.create_service(
        cluster=name, serviceName=name, taskDefinition=td, desiredCount=desired,
        launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
        loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}],
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while len(elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]) < desired:
        assert time.monotonic() < deadline, "the service's targets never registered"
        time.sleep(0.1)


class Load:
    """``CLIENTS`` threads GETting through the ALB; records (time, ok) per request."""

    def __init__(self, url: str) -> None:
        self.url, self.stop = url, threading.Event()
        self.results: list[tuple[float, bool]] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def _run(self) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=5) as resp:
                    ok = resp.status == 200
            except urllib.error.HTTPError as exc:
                ok = False
                self.errors.append(f"{exc.code} {exc.read()[:200]!r}")
            except (urllib.error.URLError, OSError) as exc:
                ok = False
                self.errors.append(repr(exc))
            self.results.append((t, ok))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)


def _kill_one(runtime: Any, name: str) -> float:
    task = next(t for t in runtime.status()["tasks"] if t["group"] == f"service:{name}")
    os.kill(task["pid"], signal.SIGKILL)
    return time.monotonic()


def test_with_two_tasks_no_request_fails_when_one_is_killed(runtime: Any) -> None:
    _service(runtime, "ha", desired=2)
    with Load(f"{runtime.endpoint_url}/_alb/ha-lb/ping") as load:
        time.sleep(1.0)
        _kill_one(runtime, "ha")
        time.sleep(3.0)
    failed = [t for t, ok in load.results if not ok]
    assert len(load.results) > 20, "the load generator barely ran"
    assert not failed, f"{len(failed)} of {len(load.results)} failed: {load.errors[:3]}"


def test_with_one_task_errors_stop_when_its_replacement_answers(runtime: Any) -> None:
    _service(runtime, "solo", desired=1)
    with Load(f"{runtime.endpoint_url}/_alb/solo-lb/ping") as load:
        time.sleep(1.0)
        killed = _kill_one(runtime, "solo")
        deadline = killed + RECOVERY_S
        while time.monotonic() < deadline:
            recent = [ok for t, ok in load.results[-CLIENTS * 3 :] if t > killed]
            if len(recent) >= CLIENTS * 3 and all(recent):
                break
            time.sleep(0.1)
        time.sleep(0.5)
    after = [(t, ok) for t, ok in load.results if t > killed]
    failed = [t for t, ok in after if not ok]
    assert after and after[-1][1], "the service did not answer again"
    window = (max(failed) - killed) if failed else 0.0
    # the bound: errors only until the replacement answers, which is within RECOVERY_S
    assert window < RECOVERY_S, f"errors for {window:.2f}s after the kill"
    assert all(ok for t, ok in after if t > killed + window), "errors after the recovery"
