"""Lambda layer and functions; code is updated only when the bundle's CodeSha256 differs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.bundle import Bundle
from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

RUNTIME = "python3.11"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    role_arn: str
    timeout: int
    memory: int
    env: dict[str, str]
    layers: list[str]
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        """The configuration as ``update_function_configuration`` takes it."""
        return {
            "FunctionName": self.name,
            "Runtime": RUNTIME,
            "Handler": self.handler,
            "Role": self.role_arn,
            "Timeout": self.timeout,
            "MemorySize": self.memory,
            "Environment": {"Variables": dict(sorted(self.env.items()))},
            "Layers": list(self.layers),
            "VpcConfig": {
                "SubnetIds": sorted(self.subnets),
                "SecurityGroupIds": sorted(self.security_groups),
            },
        }


@dataclass(frozen=True)
class Function:
    name: str
    arn: str
    change: Change


def ensure_layer(clients: Clients, name: str, bundle: Bundle) -> tuple[str, Change]:
    """Publish a layer version only when the latest one holds different bytes."""
    lam = clients("lambda")
    versions = lam.list_layer_versions(LayerName=name, CompatibleRuntime=RUNTIME).get(
        "LayerVersions", []
    )
    if versions:
        latest = max(versions, key=lambda v: v["Version"])
        content = lam.get_layer_version(LayerName=name, VersionNumber=latest["Version"])["Content"]
        if content.get("CodeSha256") == bundle.code_sha256:
            return latest["LayerVersionArn"], unchanged(
                "lambda.layer", name, f"v{latest['Version']}"
            )
    published = lam.publish_layer_version(
        LayerName=name,
        Content={"ZipFile": bundle.data},
        CompatibleRuntimes=[RUNTIME],
        Description="lambdas/shared",
    )
    action = updated if versions else created
    return published["LayerVersionArn"], action("lambda.layer", name, f"v{published['Version']}")


def _current_config(current: dict[str, Any]) -> dict[str, Any]:
    vpc = current.get("VpcConfig") or {}
    return {
        "FunctionName": current["FunctionName"],
        "Runtime": current.get("Runtime"),
        "Handler": current.get("Handler"),
        "Role": current.get("Role"),
        "Timeout": current.get("Timeout"),
        "MemorySize": current.get("MemorySize"),
        "Environment": {
            "Variables": dict(
                sorted(((current.get("Environment") or {}).get("Variables") or {}).items())
            )
        },
        "Layers": [layer["Arn"] for layer in current.get("Layers") or []],
        "VpcConfig": {
            "SubnetIds": sorted(vpc.get("SubnetIds") or []),
            "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or []),
        },
    }


def _wait_ready(lam: Any, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        conf = lam.get_function_configuration(FunctionName=name)
        if (
            conf.get("State", "Active") != "Pending"
            and conf.get("LastUpdateStatus") != "InProgress"
        ):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"lambda {name} still {conf.get('State')}/{conf.get('LastUpdateStatus')}"
            )
        time.sleep(0.05)


def ensure_function(clients: Clients, spec: FunctionSpec, bundle: Bundle) -> Function:
    lam = clients("lambda")
    try:
        current = lam.get_function_configuration(FunctionName=spec.name)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        arn = lam.create_function(
            **spec.config(),
            Code={"ZipFile": bundle.data},
            Publish=False,
            Architectures=["x86_64"],
            Tags=spec.tags,
        )["FunctionArn"]
        return Function(spec.name, arn, created("lambda.function", spec.name))
    fixed = []
    if current.get("CodeSha256") != bundle.code_sha256:
        _wait_ready(lam, spec.name)
        lam.update_function_code(FunctionName=spec.name, ZipFile=bundle.data)
        fixed.append("code")
    wanted = spec.config()
    have = _current_config(current)
    diff = sorted(k for k in wanted if wanted[k] != have[k])
    if diff:
        _wait_ready(lam, spec.name)
        lam.update_function_configuration(**wanted)
        fixed.append("config: " + ", ".join(diff))
    change = (
        updated("lambda.function", spec.name, "; ".join(fixed))
        if fixed
        else unchanged("lambda.function", spec.name)
    )
    return Function(spec.name, current["FunctionArn"], change)


def ensure_permission(clients: Clients, function: str, source_arn: str, sid: str) -> Change:
    """Let API Gateway (only from ``source_arn``) invoke ``function``."""
    lam = clients("lambda")
    try:
        policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
        statements = {s.get("Sid"): s for s in policy.get("Statement", [])}
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        statements = {}
    existing = statements.get(sid)
    condition = json.dumps(existing.get("Condition", {})) if existing else ""
    if existing and source_arn in condition:
        return unchanged("lambda.permission", f"{function}/{sid}")
    if existing:
        lam.remove_permission(FunctionName=function, StatementId=sid)
    lam.add_permission(
        FunctionName=function,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )
    return (updated if existing else created)("lambda.permission", f"{function}/{sid}")


def remove_function(clients: Clients, name: str) -> Change:
    try:
        clients("lambda").delete_function(FunctionName=name)
    except ClientError as exc:
        if is_not_found(exc):
            return absent("lambda.function", name)
        raise
    return deleted("lambda.function", name)


def remove_layer(clients: Clients, name: str) -> Change:
    lam = clients("lambda")
    versions = lam.list_layer_versions(LayerName=name).get("LayerVersions", [])
    for version in versions:
        lam.delete_layer_version(LayerName=name, VersionNumber=version["Version"])
    return (
        deleted("lambda.layer", name, f"{len(versions)} versions")
        if versions
        else absent("lambda.layer", name)
    )
