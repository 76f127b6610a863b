"""Scalable targets and scaling policies: validation and their AWS shapes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

# The namespaces AWS accepts and, for each, its scalable dimensions (the runtime acts on ECS)
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "ecs": ("ecs:service:DesiredCount",),
    "dynamodb": (
        "dynamodb:table:ReadCapacityUnits",
        "dynamodb:table:WriteCapacityUnits",
        "dynamodb:index:ReadCapacityUnits",
        "dynamodb:index:WriteCapacityUnits",
    ),
    "lambda": ("lambda:function:ProvisionedConcurrency",),
    "rds": ("rds:cluster:ReadReplicaCount",),
    "sagemaker": ("sagemaker:variant:DesiredInstanceCount",),
    "elasticache": (
        "elasticache:replication-group:NodeGroups",
        "elasticache:replication-group:Replicas",
    ),
}
ECS_RESOURCE = re.compile(r"^service/(?P<cluster>[^/]+)/(?P<service>[^/]+)$")
POLICY_TYPES = ("TargetTrackingScaling", "StepScaling")
PREDEFINED = {
    "ECSServiceAverageCPUUtilization": ("AWS/ECS", "CPUUtilization"),
    "ECSServiceAverageMemoryUtilization": ("AWS/ECS", "MemoryUtilization"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget"),
}
SERVICE_LINKED_ROLE = {
    "ecs": "ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
    "dynamodb": "dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
}


class ApiError(Exception):
    """An error with Application Auto Scaling's JSON shape (``__type`` + ``Message``)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def require_str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise validation(
            f"1 validation error detected: Value null at '{_camel(name)}' "
            "failed to satisfy constraint: Member must not be null"
        )
    return value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def check_dimension(namespace: str, dimension: str, resource_id: str) -> None:
    if namespace not in DIMENSIONS:
        raise validation(
            f"Unsupported service namespace {namespace!r}: one of {', '.join(sorted(DIMENSIONS))}"
        )
    if dimension not in DIMENSIONS[namespace]:
        raise validation(
            f"Unsupported scalable dimension {dimension!r} for service namespace {namespace!r}"
        )
    if namespace == "ecs" and not ECS_RESOURCE.match(resource_id):
        raise validation(
            f"Unsupported resource ID {resource_id!r}: an ECS service is "
            "service/<cluster>/<service>"
        )


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise validation(f"{name} must be a non-negative integer, got {value!r}")
    return value


@dataclass
class ScalableTarget:
    namespace: str
    dimension: str
    resource_id: str
    min_capacity: int
    max_capacity: int
    role_arn: str
    arn: str
    created: float
    suspended: dict[str, bool] = field(default_factory=dict)

    def shape(self) -> dict[str, Any]:
        return {
            "ServiceNamespace": self.namespace,
            "ScalableDimension": self.dimension,
            "ResourceId": self.resource_id,
            "MinCapacity": self.min_capacity,
            "MaxCapacity": self.max_capacity,
            "RoleARN": self.role_arn,
            "CreationTime": self.created,
            "SuspendedState": {
                "DynamicScalingInSuspended": self.suspended.get("DynamicScalingInSuspended", False),
                "DynamicScalingOutSuspended": self.suspended.get(
                    "DynamicScalingOutSuspended", False
                ),
                "ScheduledScalingSuspended": self.suspended.get("ScheduledScalingSuspended", False),
            },
            "ScalableTargetARN": self.arn,
        }


def target_arn(region: str, account: str) -> str:
    return f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/{uuid.uuid4().hex[:28]}"


def capacities(data: dict[str, Any], existing: ScalableTarget | None) -> tuple[int, int]:
    low = _count(data.get("MinCapacity"), "MinCapacity")
    high = _count(data.get("MaxCapacity"), "MaxCapacity")
    if existing is None and (low is None or high is None):
        raise validation(
            "MinCapacity and MaxCapacity are required when registering a new scalable target"
        )
    low = existing.min_capacity if low is None and existing else low
    high = existing.max_capacity if high is None and existing else high
    assert low is not None and high is not None
    if low > high:
        raise validation(
            f"Minimum capacity ({low}) cannot be greater than maximum capacity ({high})"
        )
    return low, high


@dataclass
class ScalingPolicy:
    name: str
    namespace: str
    dimension: str
    resource_id: str
    policy_type: str
    configuration: dict[str, Any]  # TargetTracking... or StepScalingPolicyConfiguration
    arn: str
    created: float

    def shape(self) -> dict[str, Any]:
        key = (
            "TargetTrackingScalingPolicyConfiguration"
            if self.policy_type == "TargetTrackingScaling"
            else "StepScalingPolicyConfiguration"
        )
        return {
            "PolicyARN": self.arn,
            "PolicyName": self.name,
            "ServiceNamespace": self.namespace,
            "ResourceId": self.resource_id,
            "ScalableDimension": self.dimension,
            "PolicyType": self.policy_type,
            key: self.configuration,
            "Alarms": [],
            "CreationTime": self.created,
        }


def policy_arn(region: str, account: str, namespace: str, resource_id: str, name: str) -> str:
    return (
        f"arn:aws:autoscaling:{region}:{account}:scalingPolicy:{uuid.uuid4()}:resource/"
        f"{namespace}/{resource_id}:policyName/{name}"
    )


def policy_configuration(policy_type: str, data: dict[str, Any]) -> dict[str, Any]:
    if policy_type not in POLICY_TYPES:
        raise validation(
            f"Unsupported policy type {policy_type!r}: one of {', '.join(POLICY_TYPES)}"
        )
    if policy_type == "TargetTrackingScaling":
        config = data.get("TargetTrackingScalingPolicyConfiguration")
        if not isinstance(config, dict):
            raise validation(
                "TargetTrackingScalingPolicyConfiguration is required for a "
                "TargetTrackingScaling policy"
            )
        value = config.get("TargetValue")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise validation(f"TargetValue must be a positive number, got {value!r}")
        predefined = config.get("PredefinedMetricSpecification")
        custom = config.get("CustomizedMetricSpecification")
        if (predefined is None) == (custom is None):
            raise validation(
                "Exactly one of PredefinedMetricSpecification and "
                "CustomizedMetricSpecification must be given"
            )
        if predefined is not None:
            kind = predefined.get("PredefinedMetricType") if isinstance(predefined, dict) else None
            if kind not in PREDEFINED:
                raise validation(
                    f"Unsupported PredefinedMetricType {kind!r}: one of {', '.join(PREDEFINED)}"
                )
        elif not isinstance(custom, dict) or not (
            custom.get("MetricName") or custom.get("Metrics")
        ):
            raise validation(
                "CustomizedMetricSpecification needs MetricName and Namespace (or Metrics)"
            )
        for name in ("ScaleInCooldown", "ScaleOutCooldown"):
            _count(config.get(name), name)
        return dict(config)
    config = data.get("StepScalingPolicyConfiguration")
    if not isinstance(config, dict):
        raise validation("StepScalingPolicyConfiguration is required for a StepScaling policy")
    adjustment = config.get("AdjustmentType")
    if adjustment not in ("ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"):
        raise validation(f"Unsupported AdjustmentType {adjustment!r}")
    steps = config.get("StepAdjustments")
    if not isinstance(steps, list) or not steps:
        raise validation("StepAdjustments must hold at least one step")
    return dict(config)
