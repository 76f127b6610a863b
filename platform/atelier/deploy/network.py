"""The VPC, its private subnets and the security groups that chain lambda → ALB → service → RDS.

No internet gateway: everything lives in private subnets. Security groups are reconciled to
exactly the rules declared here (extra rules, including AWS's default allow-all egress, go).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class Rule:
    direction: str  # "ingress" | "egress"
    port: int
    peer: str  # another group's logical name, or a CIDR
    description: str = ""


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_groups: dict[str, str] = field(default_factory=dict)  # logical name -> sg id
    changes: tuple[Change, ...] = ()


def security_rules(service_port: int, db_port: int = 5432) -> dict[str, list[Rule]]:
    """lambda → ALB:80 → service:<port> → RDS:<db_port>; tasks reach AWS APIs and links only."""
    return {
        "lambda": [
            Rule("egress", 80, "alb", "to the internal ALB"),
            Rule("egress", 443, ANYWHERE, "AWS APIs through VPC endpoints"),
        ],
        "alb": [
            Rule("ingress", 80, "lambda", "from the lambdas"),
            Rule("egress", service_port, "service", "to the service tasks"),
        ],
        "service": [
            Rule("ingress", service_port, "alb", "from the ALB"),
            Rule("egress", db_port, "db", "to PostgreSQL"),
            Rule("egress", 443, ANYWHERE, "AWS APIs (S3 models, logs)"),
        ],
        "db": [Rule("ingress", db_port, "service", "from the service")],
        "tasks": [
            Rule("egress", 443, ANYWHERE, "AWS APIs and https links"),
            Rule("egress", 80, ANYWHERE, "http links (checked by the task)"),
        ],
    }


def _tags(name: str, tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in tags.items())]


def _by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for item in items:
        if any(t["Key"] == "Name" and t["Value"] == name for t in item.get("Tags", [])):
            return item
    return None


def ensure_network(
    clients: Clients,
    vpc_name: str,
    cidr: str,
    subnets: dict[str, tuple[str, str]],
    groups: dict[str, str],
    rules: dict[str, list[Rule]],
    tags: dict[str, str],
) -> Network:
    """The VPC ``vpc_name``, ``subnets`` (name -> (cidr, az)) and ``groups`` (role -> name)."""
    ec2 = clients("ec2")
    changes: list[Change] = []
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [vpc_name]}])["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
        changes.append(unchanged("ec2.vpc", vpc_name))
    else:
        vpc_id = ec2.create_vpc(
            CidrBlock=cidr,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(vpc_name, tags)}],
        )["Vpc"]["VpcId"]
        changes.append(created("ec2.vpc", vpc_name, cidr))
    existing = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    subnet_ids = []
    for name, (block, az) in subnets.items():
        subnet = _by_name(existing, name)
        if subnet is None:
            subnet = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=block,
                AvailabilityZone=az,
                TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(name, tags)}],
            )["Subnet"]
            changes.append(created("ec2.subnet", name, f"{block} {az}"))
        else:
            changes.append(unchanged("ec2.subnet", name))
        subnet_ids.append(subnet["SubnetId"])
    group_ids = _ensure_groups(ec2, vpc_id, groups, rules, tags, changes)
    return Network(vpc_id, tuple(subnet_ids), group_ids, tuple(changes))


def _ensure_groups(
    ec2: Any,
    vpc_id: str,
    names: dict[str, str],
    rules: dict[str, list[Rule]],
    tags: dict[str, str],
    changes: list[Change],
) -> dict[str, str]:
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    by_name = {g["GroupName"]: g for g in found["SecurityGroups"]}
    ids: dict[str, str] = {}
    fresh: set[str] = set()
    for logical in rules:
        name = names[logical]
        if name in by_name:
            ids[logical] = by_name[name]["GroupId"]
        else:
            ids[logical] = ec2.create_security_group(
                GroupName=name,
                Description=f"Atelier {logical}",
                VpcId=vpc_id,
                TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(name, tags)}],
            )["GroupId"]
            fresh.add(logical)
    for logical, wanted in rules.items():
        name = names[logical]
        current = (
            by_name.get(name)
            or ec2.describe_security_groups(GroupIds=[ids[logical]])["SecurityGroups"][0]
        )
        edits = _reconcile(ec2, ids[logical], current, wanted, ids)
        if logical in fresh:
            changes.append(created("ec2.security_group", name))
        elif edits:
            changes.append(updated("ec2.security_group", name, f"{edits} rule edits"))
        else:
            changes.append(unchanged("ec2.security_group", name))
    return ids


def _permission(rule: Rule, ids: dict[str, str]) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": rule.port, "ToPort": rule.port}
    if rule.peer in ids:
        perm["UserIdGroupPairs"] = [{"GroupId": ids[rule.peer], "Description": rule.description}]
    else:
        perm["IpRanges"] = [{"CidrIp": rule.peer, "Description": rule.description}]
    return perm


def _flatten(perms: list[dict[str, Any]]) -> dict[tuple[str, int, str], dict[str, Any]]:
    """Existing permissions keyed by (protocol, port, peer), one entry per peer."""
    out: dict[tuple[str, int, str], dict[str, Any]] = {}
    for perm in perms:
        proto, port = perm.get("IpProtocol", "-1"), perm.get("FromPort", -1)
        base: dict[str, Any] = {
            k: perm[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in perm
        }
        for pair in perm.get("UserIdGroupPairs", []):
            out[(proto, port, pair["GroupId"])] = {
                **base,
                "UserIdGroupPairs": [{"GroupId": pair["GroupId"]}],
            }
        for rng in perm.get("IpRanges", []):
            out[(proto, port, rng["CidrIp"])] = {**base, "IpRanges": [{"CidrIp": rng["CidrIp"]}]}
    return out


def _reconcile(
    ec2: Any, group_id: str, current: dict[str, Any], wanted: list[Rule], ids: dict[str, str]
) -> int:
    edits = 0
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        have = _flatten(current.get(key, []))
        want = {
            ("tcp", r.port, ids.get(r.peer, r.peer)): r for r in wanted if r.direction == direction
        }
        add = [_permission(r, ids) for k, r in want.items() if k not in have]
        drop = [perm for k, perm in have.items() if k not in want]
        if add:
            getattr(ec2, f"authorize_security_group_{direction}")(
                GroupId=group_id, IpPermissions=add
            )
        if drop:
            getattr(ec2, f"revoke_security_group_{direction}")(GroupId=group_id, IpPermissions=drop)
        edits += len(add) + len(drop)
    return edits


def remove_network(clients: Clients, vpc_name: str) -> list[Change]:
    """Security groups (rules first: they reference each other), subnets, then the VPC."""
    ec2 = clients("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [vpc_name]}])["Vpcs"]
    if not vpcs:
        return [absent("ec2.vpc", vpc_name)]
    vpc_id = vpcs[0]["VpcId"]
    changes = []
    groups = [
        g
        for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "SecurityGroups"
        ]
        if g["GroupName"] != "default"
    ]
    for group in groups:
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(
                GroupId=group["GroupId"],
                IpPermissions=list(_flatten(group["IpPermissions"]).values()),
            )
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(
                GroupId=group["GroupId"],
                IpPermissions=list(_flatten(group["IpPermissionsEgress"]).values()),
            )
    for group in groups:
        _tolerant(ec2.delete_security_group, GroupId=group["GroupId"])
        changes.append(deleted("ec2.security_group", group["GroupName"]))
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        _tolerant(ec2.delete_subnet, SubnetId=subnet["SubnetId"])
        changes.append(deleted("ec2.subnet", subnet["SubnetId"]))
    _tolerant(ec2.delete_vpc, VpcId=vpc_id)
    changes.append(deleted("ec2.vpc", vpc_name))
    return changes


def _tolerant(call: Any, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except Exception as exc:
        if not is_not_found(exc):
            raise
