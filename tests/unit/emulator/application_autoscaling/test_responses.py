"""The Application Auto Scaling API on its own (what Terraform's aws_appautoscaling_target and
aws_appautoscaling_policy call), with AWS's JSON errors; accounts do not see each other."""

from __future__ import annotations

import json
from typing import Any

from atelier.emulator.application_autoscaling.backend import Backend
from atelier.emulator.application_autoscaling.responses import handle

QA = ("111111111111", "us-east-1")
PROD = ("333333333333", "us-east-1")
TARGET = {
    "ServiceNamespace": "ecs",
    "ScalableDimension": "ecs:service:DesiredCount",
    "ResourceId": "service/atelier-qa/atelier-qa-model",
}
TRACKING = {
    "TargetValue": 60.0,
    "ScaleInCooldown": 300,
    "ScaleOutCooldown": 60,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
}


def call(
    backend: Backend, action: str, body: Any, scope: tuple[str, str] = QA
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return handle(backend, action, raw, *scope)


def test_register_describe_update_deregister() -> None:
    b = Backend()
    status, made = call(b, "RegisterScalableTarget", {**TARGET, "MinCapacity": 1, "MaxCapacity": 3})
    assert status == 200 and made["ScalableTargetARN"].startswith(
        "arn:aws:application-autoscaling:us-east-1:111111111111:scalable-target/"
    )
    _, found = call(
        b,
        "DescribeScalableTargets",
        {"ServiceNamespace": "ecs", "ResourceIds": [TARGET["ResourceId"]]},
    )
    (target,) = found["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    assert target["RoleARN"].startswith("arn:aws:iam::111111111111:role/aws-service-role/ecs.")
    assert target["SuspendedState"]["DynamicScalingInSuspended"] is False
    call(b, "RegisterScalableTarget", {**TARGET, "MaxCapacity": 5})  # update keeps the minimum
    _, found = call(b, "DescribeScalableTargets", {"ServiceNamespace": "ecs"})
    assert [
        (t["MinCapacity"], t["MaxCapacity"], t["ScalableTargetARN"])
        for t in found["ScalableTargets"]
    ] == [(1, 5, made["ScalableTargetARN"])]
    assert call(b, "DeregisterScalableTarget", TARGET) == (200, {})
    assert call(b, "DescribeScalableTargets", {"ServiceNamespace": "ecs"})[1] == {
        "ScalableTargets": []
    }
    status, error = call(b, "DeregisterScalableTarget", TARGET)
    assert status == 400 and error["__type"] == "ObjectNotFoundException"


def test_policies_of_both_types_and_their_deletion() -> None:
    b = Backend()
    call(b, "RegisterScalableTarget", {**TARGET, "MinCapacity": 1, "MaxCapacity": 3})
    status, put = call(
        b,
        "PutScalingPolicy",
        {
            **TARGET,
            "PolicyName": "cpu",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": TRACKING,
        },
    )
    assert status == 200 and ":scalingPolicy:" in put["PolicyARN"]
    step = {
        "AdjustmentType": "ChangeInCapacity",
        "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
    }
    assert (
        call(
            b,
            "PutScalingPolicy",
            {
                **TARGET,
                "PolicyName": "step",
                "PolicyType": "StepScaling",
                "StepScalingPolicyConfiguration": step,
            },
        )[0]
        == 200
    )
    again = call(
        b,
        "PutScalingPolicy",
        {
            **TARGET,
            "PolicyName": "cpu",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {**TRACKING, "TargetValue": 70.0},
        },
    )
    assert again[1]["PolicyARN"] == put["PolicyARN"], "an update keeps the policy's ARN"
    _, found = call(
        b, "DescribeScalingPolicies", {"ServiceNamespace": "ecs", "PolicyNames": ["cpu"]}
    )
    (policy,) = found["ScalingPolicies"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert call(b, "DeleteScalingPolicy", {**TARGET, "PolicyName": "cpu"}) == (200, {})
    _, found = call(b, "DescribeScalingPolicies", {"ServiceNamespace": "ecs"})
    assert [p["PolicyName"] for p in found["ScalingPolicies"]] == ["step"]
    status, error = call(b, "DeleteScalingPolicy", {**TARGET, "PolicyName": "cpu"})
    assert status == 400 and error["__type"] == "ObjectNotFoundException"
    call(b, "DeregisterScalableTarget", TARGET)  # takes its policies with it
    assert call(b, "DescribeScalingPolicies", {"ServiceNamespace": "ecs"})[1] == {
        "ScalingPolicies": []
    }


def test_tags_on_a_scalable_target() -> None:
    b = Backend()
    arn = call(
        b,
        "RegisterScalableTarget",
        {**TARGET, "MinCapacity": 1, "MaxCapacity": 2, "Tags": {"env": "qa"}},
    )[1]["ScalableTargetARN"]
    call(b, "TagResource", {"ResourceARN": arn, "Tags": {"team": "ml"}})
    assert call(b, "ListTagsForResource", {"ResourceARN": arn})[1] == {
        "Tags": {"env": "qa", "team": "ml"}
    }
    call(b, "UntagResource", {"ResourceARN": arn, "TagKeys": ["env"]})
    assert call(b, "ListTagsForResource", {"ResourceARN": arn})[1] == {"Tags": {"team": "ml"}}
    status, error = call(b, "ListTagsForResource", {"ResourceARN": arn + "x"})
    assert status == 400 and error["__type"] == "ResourceNotFoundException"


def test_accounts_do_not_see_each_other() -> None:
    b = Backend()
    call(b, "RegisterScalableTarget", {**TARGET, "MinCapacity": 1, "MaxCapacity": 3}, QA)
    assert call(b, "DescribeScalableTargets", {"ServiceNamespace": "ecs"}, PROD)[1] == {
        "ScalableTargets": []
    }
    status, error = call(
        b,
        "PutScalingPolicy",
        {
            **TARGET,
            "PolicyName": "cpu",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": TRACKING,
        },
        PROD,
    )
    assert status == 400 and error["__type"] == "ObjectNotFoundException"


def test_bad_input_is_a_validation_exception_and_stores_nothing() -> None:
    b = Backend()
    bad: list[tuple[str, Any]] = [
        ("RegisterScalableTarget", {**TARGET, "MinCapacity": 4, "MaxCapacity": 2}),
        ("RegisterScalableTarget", {**TARGET, "MinCapacity": 1}),  # new target: max required
        (
            "RegisterScalableTarget",
            {**TARGET, "ResourceId": "atelier-qa-model", "MinCapacity": 1, "MaxCapacity": 2},
        ),
        (
            "RegisterScalableTarget",
            {**TARGET, "ScalableDimension": "ecs:service:Cpu", "MinCapacity": 1, "MaxCapacity": 2},
        ),
        ("RegisterScalableTarget", {**TARGET, "MinCapacity": -1, "MaxCapacity": 2}),
        ("RegisterScalableTarget", {"ServiceNamespace": "ecs"}),
        ("DescribeScalableTargets", {}),
    ]
    for action, body in bad:
        status, error = call(b, action, body)
        assert (status, error["__type"]) == (400, "ValidationException"), (action, body, error)
        assert "Message" in error
    call(b, "RegisterScalableTarget", {**TARGET, "MinCapacity": 1, "MaxCapacity": 3})
    for config in (
        {**TRACKING, "TargetValue": 0},
        {"TargetValue": 50.0},  # no metric
        {**TRACKING, "PredefinedMetricSpecification": {"PredefinedMetricType": "Nope"}},
    ):
        status, error = call(
            b,
            "PutScalingPolicy",
            {
                **TARGET,
                "PolicyName": "cpu",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": config,
            },
        )
        assert (status, error["__type"]) == (400, "ValidationException"), config
    assert call(b, "DescribeScalingPolicies", {"ServiceNamespace": "ecs"})[1] == {
        "ScalingPolicies": []
    }
    assert call(b, "DescribeScalableTargets", b"{not json")[1]["__type"] == "SerializationException"
    assert call(b, "Nope", {})[1]["__type"] == "UnknownOperationException"


def test_a_target_for_a_missing_ecs_service_is_refused() -> None:
    services = {("111111111111", "us-east-1", "atelier-qa", "atelier-qa-model")}
    b = Backend(ecs_service_exists=lambda *key: key in services)
    missing = {
        **TARGET,
        "ResourceId": "service/atelier-qa/nope",
        "MinCapacity": 1,
        "MaxCapacity": 2,
    }
    status, error = call(b, "RegisterScalableTarget", missing)
    assert (status, error["__type"]) == (400, "ValidationException")
    assert error["Message"] == "ECS service doesn't exist: service/atelier-qa/nope"
    assert (
        call(b, "RegisterScalableTarget", {**TARGET, "MinCapacity": 1, "MaxCapacity": 2})[0] == 200
    )
    assert (
        call(b, "RegisterScalableTarget", {**TARGET, "MinCapacity": 1, "MaxCapacity": 2}, PROD)[0]
        == 400
    )
