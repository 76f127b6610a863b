"""The internal ALB in front of the service: load balancer, IP target group, HTTP listener."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    dns_name: str
    target_group_arn: str
    changes: tuple[Change, ...]


def _find(call: Any, key: str, **kwargs: Any) -> dict[str, Any] | None:
    try:
        found = call(**kwargs)[key]
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    return found[0] if found else None


def ensure_load_balancer(
    clients: Clients,
    name: str,
    target_group: str,
    vpc_id: str,
    subnets: list[str],
    security_group: str,
    port: int,
    health_path: str,
    tags: dict[str, str],
) -> LoadBalancer:
    elbv2 = clients("elbv2")
    # ELBv2 refuses an empty Tags list (min length 1): pass it only when there are tags.
    tagging = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
    changes: list[Change] = []
    lb = _find(elbv2.describe_load_balancers, "LoadBalancers", Names=[name])
    if lb is None:
        lb = elbv2.create_load_balancer(
            Name=name,
            Subnets=subnets,
            SecurityGroups=[security_group],
            Scheme="internal",
            Type="application",
            IpAddressType="ipv4",
            **tagging,
        )["LoadBalancers"][0]
        changes.append(created("elbv2.load_balancer", name, "internal"))
    else:
        changes.append(unchanged("elbv2.load_balancer", name))
    tg = _find(elbv2.describe_target_groups, "TargetGroups", Names=[target_group])
    health = {
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPath": health_path,
        "HealthCheckIntervalSeconds": 10,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
    }
    if tg is None:
        tg = elbv2.create_target_group(
            Name=target_group,
            Protocol="HTTP",
            Port=port,
            VpcId=vpc_id,
            TargetType="ip",
            Matcher={"HttpCode": "200"},
            **tagging,
            **health,
        )["TargetGroups"][0]
        changes.append(created("elbv2.target_group", target_group, f"ip:{port}{health_path}"))
    elif any(tg.get(k) != v for k, v in health.items()):
        elbv2.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], **health)
        changes.append(updated("elbv2.target_group", target_group, "health check"))
    else:
        changes.append(unchanged("elbv2.target_group", target_group))
    changes.append(_ensure_listener(elbv2, lb["LoadBalancerArn"], tg["TargetGroupArn"], name))
    return LoadBalancer(lb["LoadBalancerArn"], lb["DNSName"], tg["TargetGroupArn"], tuple(changes))


def _ensure_listener(elbv2: Any, lb_arn: str, tg_arn: str, name: str) -> Change:
    forward = [{"Type": "forward", "TargetGroupArn": tg_arn}]
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]:
        if listener["Port"] != 80:
            continue
        actions = [
            {"Type": a["Type"], "TargetGroupArn": a.get("TargetGroupArn")}
            for a in listener["DefaultActions"]
        ]
        if actions == forward:
            return unchanged("elbv2.listener", f"{name}:80")
        elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=forward)
        return updated("elbv2.listener", f"{name}:80", "forward")
    elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward)
    return created("elbv2.listener", f"{name}:80")


def remove_load_balancer(clients: Clients, name: str, target_group: str) -> list[Change]:
    elbv2 = clients("elbv2")
    changes = []
    lb = _find(elbv2.describe_load_balancers, "LoadBalancers", Names=[name])
    if lb is None:
        changes.append(absent("elbv2.load_balancer", name))
    else:
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
            "Listeners"
        ]:
            elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
        elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        changes.append(deleted("elbv2.load_balancer", name))
    tg = _find(elbv2.describe_target_groups, "TargetGroups", Names=[target_group])
    if tg is None:
        changes.append(absent("elbv2.target_group", target_group))
    else:
        elbv2.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
        changes.append(deleted("elbv2.target_group", target_group))
    return changes
