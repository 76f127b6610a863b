"""IAM roles with inline least-privilege policies, reconciled to exactly what is declared."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

KIND = "iam.role"
Document = dict[str, Any]


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    change: Change


def trust_policy(service: str) -> Document:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def _doc(value: Any) -> Document:
    """IAM returns documents as dicts, JSON strings or URL-encoded JSON strings."""
    if isinstance(value, dict):
        return value
    text = str(value)
    if text.startswith("%7B"):
        text = urllib.parse.unquote(text)
    parsed: Document = json.loads(text)
    return parsed


def ensure_role(
    clients: Clients,
    name: str,
    service: str,
    policies: dict[str, Document],
    tags: dict[str, str] | None = None,
    existing: dict[str, dict[str, Any]] | None = None,
) -> Role:
    """A role assumable by ``service`` holding exactly ``policies`` (name -> document) inline.

    ``existing`` (from :func:`list_roles`) saves a ``GetRole`` per role on a repeat deploy.
    """
    iam = clients("iam")
    trust = trust_policy(service)
    role = existing.get(name) if existing is not None else _get_role(iam, name)
    if role is None:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        )["Role"]
        for policy_name, document in sorted(policies.items()):
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )
        return Role(name, role["Arn"], created(KIND, name, f"{len(policies)} inline policies"))
    fixed = []
    if _doc(role["AssumeRolePolicyDocument"]) != trust:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        fixed.append("trust policy")
    present = set(iam.list_role_policies(RoleName=name)["PolicyNames"])
    for policy_name, document in sorted(policies.items()):
        current = None
        if policy_name in present:
            current = _doc(
                iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            )
        if current != document:
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )
            fixed.append(policy_name)
    for stale in sorted(present - set(policies)):
        iam.delete_role_policy(RoleName=name, PolicyName=stale)
        fixed.append(f"-{stale}")
    change = updated(KIND, name, ", ".join(fixed)) if fixed else unchanged(KIND, name)
    return Role(name, role["Arn"], change)


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        role: dict[str, Any] = iam.get_role(RoleName=name)["Role"]
        return role
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def list_roles(clients: Clients, prefix: str) -> dict[str, dict[str, Any]]:
    """Every role whose name starts with ``prefix``, by name."""
    roles: dict[str, dict[str, Any]] = {}
    for page in clients("iam").get_paginator("list_roles").paginate():
        roles.update({r["RoleName"]: r for r in page["Roles"] if r["RoleName"].startswith(prefix)})
    return roles


def remove_role(clients: Clients, name: str) -> Change:
    iam = clients("iam")
    try:
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)
    except ClientError as exc:
        if is_not_found(exc):
            return absent(KIND, name)
        raise
    return deleted(KIND, name)


def statement(actions: list[str], resources: list[str], sid: str = "") -> Document:
    out: Document = {"Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}
    if sid:
        out["Sid"] = sid
    return out


def policy(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}
