"""The Python engine's service autoscaling (moto): created once, then unchanged; a new max or
CPU target is an update; teardown deregisters the target."""

from __future__ import annotations

from atelier.deploy import autoscaling
from atelier.deploy.change import Action, Change
from atelier.deploy.clients import Clients


def actions(changes: list[Change]) -> list[tuple[str, str, Action]]:
    return [(c.kind, c.name, c.action) for c in changes]


def service(clients: Clients, cluster: str, name: str) -> None:
    ecs = clients("ecs")
    ecs.create_cluster(clusterName=cluster)
    td = ecs.register_task_definition(
        family=name,
        containerDefinitions=[{"name": name, "image": "atelier/webservice", "memory": 512}],
    )
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        desiredCount=1,
        taskDefinition=td["taskDefinition"]["taskDefinitionArn"],
    )


def test_scaling_is_created_once_then_unchanged_then_updated(clients: Clients) -> None:
    service(clients, "atelier-qa", "atelier-qa-sd")
    first = autoscaling.ensure_scaling(clients, "atelier-qa", "atelier-qa-sd", 1, 2)
    assert actions(first) == [
        ("appautoscaling.target", "atelier-qa-sd", Action.CREATED),
        ("appautoscaling.policy", "atelier-qa-sd-cpu", Action.CREATED),
    ]
    again = autoscaling.ensure_scaling(clients, "atelier-qa", "atelier-qa-sd", 1, 2)
    assert [c.action for c in again] == [Action.UNCHANGED, Action.UNCHANGED]
    wider = autoscaling.ensure_scaling(clients, "atelier-qa", "atelier-qa-sd", 1, 4)
    assert [c.action for c in wider] == [Action.UPDATED, Action.UNCHANGED]
    aas = clients("application-autoscaling")
    (target,) = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (
        "service/atelier-qa/atelier-qa-sd",
        1,
        4,
    )
    (policy,) = aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == autoscaling.CPU_TARGET_PERCENT
    assert config["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
    }


def test_remove_deregisters_and_is_absent_after(clients: Clients) -> None:
    service(clients, "c", "s")
    autoscaling.ensure_scaling(clients, "c", "s", 1, 2)
    assert autoscaling.remove_scaling(clients, "c", "s").action == Action.DELETED
    assert autoscaling.remove_scaling(clients, "c", "s").action == Action.ABSENT
