"""ECS services keep desiredCount live processes; the ALB reaches only live targets."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration


def alb_get(runtime: Any, lb_name: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(
            f"{runtime.endpoint_url}/_alb/{lb_name}/ping", timeout=3
        ) as resp:
            if resp.status != 200:
                return None
            data: dict[str, Any] = json.loads(resp.read())
            return data
    except (urllib.error.URLError, OSError):
        return None


def targets(elb: Any, tg_arn: str) -> set[str]:
    health = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {f"{t['Target']['Id']}:{t['Target']['Port']}" for t in health}


def service_tasks(runtime: Any, name: str) -> list[dict[str, Any]]:
    return [t for t in runtime.status()["tasks"] if t["group"] == f"service:{name}"]


def wait_for(predicate: Any, timeout: float) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true after {timeout}s")
        time.sleep(0.1)
    return time.monotonic() - start


def test_sigkilled_service_process_is_replaced_within_5s_and_alb_answers(runtime: Runtime) -> None:
    ecs, elb, ec2 = runtime.client("ecs"), runtime.client("elbv2"), runtime.client("ec2")
    ecs.create_cluster(clusterName="svc")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    elb.create_load_balancer(Name="web-lb", Subnets=subnets, Scheme="internal")
    lb = elb.describe_load_balancers(Names=["web-lb"])["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name="web-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    td = ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "web",
                "image": "atelier/webservice",
                "portMappings": [{"containerPort": 8080}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="svc",
        serviceName="web",
        taskDefinition=td,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
        loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}],
    )
    wait_for(lambda: len(targets(elb, tg)) == 2, 10)
    tasks = service_tasks(runtime, "web")
    assert len(tasks) == 2
    # both share containerPort 8080, each on its own loopback address
    assert targets(elb, tg) == {f"{t['ip']}:8080" for t in tasks}
    answer = alb_get(runtime, "web-lb")
    assert answer is not None and answer["host"] in {t["ip"] for t in tasks}

    victim = tasks[0]
    os.kill(victim["pid"], signal.SIGKILL)

    def replaced() -> bool:
        live = service_tasks(runtime, "web")
        return (
            len(live) == 2
            and victim["task_arn"] not in {t["task_arn"] for t in live}
            and targets(elb, tg) == {f"{t['ip']}:8080" for t in live}
        )

    took = wait_for(replaced, 5)
    assert took < 5
    assert f"{victim['ip']}:8080" not in targets(elb, tg)
    answer = alb_get(runtime, "web-lb")
    assert answer is not None and answer["host"] != victim["ip"]
    dead = ecs.describe_tasks(cluster="svc", tasks=[victim["task_arn"]])["tasks"][0]
    assert dead["lastStatus"] == "STOPPED"
    assert dead["containers"][0]["exitCode"] == 137
    svc = ecs.describe_services(cluster="svc", services=["web"])["services"][0]
    assert svc["runningCount"] == 2

    # scaling to zero stops the processes and empties the target group
    ecs.update_service(cluster="svc", service="web", desiredCount=0)
    wait_for(lambda: not service_tasks(runtime, "web") and not targets(elb, tg), 10)
