"""Service autoscaling on the runtime: Application Auto Scaling's target tracking moves an ECS
service's desired count between its min and max on the CPU its task processes use.

A private runtime with a 60x clock (one 60 s evaluation period = 1 s): a service whose task
burns half a core (up to 200 % of its 256 CPU units; the policies target 2 %, so the test holds
when the shared machine leaves it a sliver of CPU) scales out from 1 straight to its max of 3 and
no further; an idle service registered with desired 4 > max 3 is clamped at once, then scales
in to its min of 1 after 15 low periods. Calls are made as account 111111111111 (a 12-digit
access key is the account).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from atelier_devtools.runtime import Runtime, start_runtime

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ACCOUNT = "111111111111"
BURN = (
    "import time\nwhile True:\n    t = time.time()\n    while time.time() - t < 0.05:\n"
    "        pass\n    time.sleep(0.05)\n"
)
# never wakes: the sleeper image's 0.1 s loop costs a 10 ms CPU tick now and then, 4 % of a
# 256-unit task over a 1 s period, which on a loaded machine can hold the average above 1 %
# and so make target tracking stop at 2 tasks (ceil(3 x 1.3 / 2) = 2), as AWS would
IDLE = "import time\ntime.sleep(3600)\n"


@pytest.fixture(scope="module")
def fast_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = start_runtime(
        Path(tmp_path_factory.mktemp("autoscaling")), env={"ATELIER_CLOCK_SPEED": "60"}
    )
    try:
        yield rt
    finally:
        rt.stop()


def client(rt: Runtime, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=rt.endpoint_url,
        region_name=rt.region,
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
    )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not true after {timeout} s")
        time.sleep(0.25)


def service(ecs: Any, name: str, desired: int, entry: list[str]) -> None:
    container = {"name": name, "image": "atelier/sleeper", "essential": True, "entryPoint": entry}
    td = ecs.register_task_definition(
        family=name,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[container],
    )
    ecs.create_service(
        cluster="scale",
        serviceName=name,
        desiredCount=desired,
        launchType="FARGATE",
        taskDefinition=td["taskDefinition"]["taskDefinitionArn"],
    )


def track_cpu(aas: Any, name: str, low: int, high: int) -> None:
    target = {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": f"service/scale/{name}",
    }
    aas.register_scalable_target(**target, MinCapacity=low, MaxCapacity=high)
    aas.put_scaling_policy(
        **target,
        PolicyName=f"{name}-cpu",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 2.0,  # low: the burner gets little CPU on a loaded shared machine
            "ScaleInCooldown": 0,
            "ScaleOutCooldown": 0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
            },
        },
    )


def test_target_tracking_scales_a_service_between_min_and_max(fast_runtime: Runtime) -> None:
    ecs, aas = client(fast_runtime, "ecs"), client(fast_runtime, "application-autoscaling")
    ecs.create_cluster(clusterName="scale")
    service(ecs, "busy", 1, ["python", "-c", BURN])
    service(ecs, "idle", 4, ["python", "-c", IDLE])
    seen: dict[str, list[int]] = {"busy": [], "idle": []}

    def desired(name: str) -> int:
        count = int(
            ecs.describe_services(cluster="scale", services=[name])["services"][0]["desiredCount"]
        )
        seen[name].append(count)
        return count

    track_cpu(aas, "busy", 1, 3)
    track_cpu(aas, "idle", 1, 3)
    wait_for(lambda: desired("idle") == 3, 5, "idle clamped to its max on registration")
    wait_for(lambda: desired("busy") == 3, 60, "busy scaled out to its max")
    wait_for(lambda: desired("idle") == 1, 60, "idle scaled in to its min")
    for _ in range(4):  # a few more periods: both stay where they are
        time.sleep(1)
        assert (desired("busy"), desired("idle")) == (3, 1)
    assert max(seen["busy"]) == 3 and min(seen["idle"]) == 1
    running = {t["group"] for t in fast_runtime.status()["tasks"]}
    assert "service:busy" in running
    activities = aas.describe_scaling_activities(ServiceNamespace="ecs")["ScalingActivities"]
    causes = {(a["ResourceId"], a["Description"]) for a in activities}
    assert ("service/scale/busy", "Setting desired count to 3.") in causes
    assert ("service/scale/idle", "Setting desired count to 1.") in causes
    # another account sees none of it
    other = boto3.client(
        "application-autoscaling",
        endpoint_url=fast_runtime.endpoint_url,
        region_name=fast_runtime.region,
        aws_access_key_id="222222222222",
        aws_secret_access_key="test",
    )
    assert other.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    ecs.update_service(cluster="scale", service="busy", desiredCount=0)
    ecs.update_service(cluster="scale", service="idle", desiredCount=0)


def test_api_errors_through_boto3(fast_runtime: Runtime) -> None:
    aas = client(fast_runtime, "application-autoscaling")
    with pytest.raises(aas.exceptions.ObjectNotFoundException):
        aas.deregister_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/x/none",
            ScalableDimension="ecs:service:DesiredCount",
        )
    with pytest.raises(aas.exceptions.ValidationException, match="greater than maximum"):
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/x/y",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=3,
            MaxCapacity=1,
        )
    with pytest.raises(aas.exceptions.ValidationException, match="ECS service doesn't exist"):
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/x/y",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=2,
        )
