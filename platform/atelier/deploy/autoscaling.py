"""Service autoscaling, as ``terraform/modules/ecs_service`` declares it: each ECS service is a
scalable target between its ``desired`` and ``max`` task counts, with a target tracking policy
on the service's average CPU (``<service>-cpu``). The runtime's Application Auto Scaling acts on
it as AWS does (emulator/application_autoscaling)."""

from __future__ import annotations

from typing import Any

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients

TARGET_KIND = "appautoscaling.target"
POLICY_KIND = "appautoscaling.policy"
CPU_TARGET_PERCENT = 60.0  # terraform/modules/ecs_service: var.cpu_target_percent's default
DIMENSION = "ecs:service:DesiredCount"


def policy_configuration(target_percent: float = CPU_TARGET_PERCENT) -> dict[str, Any]:
    return {
        "TargetValue": target_percent,
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
        },
    }


def _scalable_target(aas: Any, cluster: str, service: str) -> tuple[dict[str, str], list[Any]]:
    """The service's scalable-target identifiers, and the target registered under them (if any)."""
    ids = {
        "ServiceNamespace": "ecs",
        "ScalableDimension": DIMENSION,
        "ResourceId": f"service/{cluster}/{service}",
    }
    found = aas.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[ids["ResourceId"]], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    return ids, list(found)


def ensure_scaling(
    clients: Clients, cluster: str, service: str, low: int, high: int
) -> list[Change]:
    """The service's scalable target and CPU policy; unchanged when both already match."""
    aas = clients("application-autoscaling")
    ids, found = _scalable_target(aas, cluster, service)
    if not found:
        aas.register_scalable_target(**ids, MinCapacity=low, MaxCapacity=high)
        target = created(TARGET_KIND, service, f"{low}..{high} tasks")
    elif (found[0]["MinCapacity"], found[0]["MaxCapacity"]) != (low, high):
        aas.register_scalable_target(**ids, MinCapacity=low, MaxCapacity=high)
        target = updated(TARGET_KIND, service, f"{low}..{high} tasks")
    else:
        target = unchanged(TARGET_KIND, service)
    name, wanted = f"{service}-cpu", policy_configuration()
    policies = aas.describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=ids["ResourceId"], PolicyNames=[name]
    )["ScalingPolicies"]
    current = policies[0].get("TargetTrackingScalingPolicyConfiguration") if policies else None
    if current == wanted:
        return [target, unchanged(POLICY_KIND, name)]
    aas.put_scaling_policy(
        **ids,
        PolicyName=name,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=wanted,
    )
    return [target, (updated if policies else created)(POLICY_KIND, name, "CPU target tracking")]


def remove_scaling(clients: Clients, cluster: str, service: str) -> Change:
    """Deregister the service's scalable target (its policies go with it)."""
    aas = clients("application-autoscaling")
    ids, found = _scalable_target(aas, cluster, service)
    if not found:
        return absent(TARGET_KIND, service)
    aas.deregister_scalable_target(**ids)
    return deleted(TARGET_KIND, service)
