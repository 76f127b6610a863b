"""The PostgreSQL instance: private subnet group, parameter group (TLS forced), encrypted
storage; waits until available."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

KIND = "rds.instance"


@dataclass(frozen=True)
class Database:
    identifier: str
    host: str
    port: int
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class DatabaseSpec:
    identifier: str
    subnet_group: str
    engine: str
    engine_version: str
    instance_class: str
    allocated_storage: int
    db_name: str
    username: str


def _describe(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=identifier)[
            "DBInstances"
        ][0]
        return found
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


# terraform/modules/data's aws_db_parameter_group.this: the same parameters, so the local
# instance forces TLS as the AWS one does (the runtime's RDS engine applies rds.force_ssl).
PARAMETERS = {"rds.force_ssl": "1", "log_min_duration_statement": "1000", "log_statement": "ddl"}


def parameter_group_name(identifier: str) -> str:
    return f"{identifier}-params"


def ensure_parameter_group(rds: Any, spec: DatabaseSpec, tags: list[dict[str, str]]) -> Change:
    name = parameter_group_name(spec.identifier)
    try:
        rds.describe_db_parameter_groups(DBParameterGroupName=name)
        current = {
            p["ParameterName"]: p.get("ParameterValue")
            for page in rds.get_paginator("describe_db_parameters").paginate(
                DBParameterGroupName=name, Source="user"
            )
            for p in page.get("Parameters", [])
        }
        fresh = False
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        rds.create_db_parameter_group(
            DBParameterGroupName=name,
            DBParameterGroupFamily=f"{spec.engine}{spec.engine_version.split('.')[0]}",
            Description="Atelier: TLS forced, slow queries and DDL logged",
            Tags=tags,
        )
        current, fresh = {}, True
    if all(current.get(k) == v for k, v in PARAMETERS.items()):
        return unchanged("rds.parameter_group", name)
    rds.modify_db_parameter_group(
        DBParameterGroupName=name,
        Parameters=[
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"}
            for k, v in PARAMETERS.items()
        ],
    )
    make = created if fresh else updated
    return make("rds.parameter_group", name, "rds.force_ssl=1")


def ensure_database(
    clients: Clients,
    spec: DatabaseSpec,
    password: str,
    subnets: list[str],
    security_group: str,
    tags: dict[str, str],
    timeout: float = 120.0,
) -> Database:
    """Create the instance if missing and wait (polling fast) until it is ``available``."""
    rds = clients("rds")
    changes: list[Change] = []
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    try:
        rds.describe_db_subnet_groups(DBSubnetGroupName=spec.subnet_group)
        changes.append(unchanged("rds.subnet_group", spec.subnet_group))
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        rds.create_db_subnet_group(
            DBSubnetGroupName=spec.subnet_group,
            DBSubnetGroupDescription="Atelier private subnets",
            SubnetIds=subnets,
            Tags=tag_list,
        )
        changes.append(created("rds.subnet_group", spec.subnet_group))
    changes.append(ensure_parameter_group(rds, spec, tag_list))
    instance = _describe(rds, spec.identifier)
    if instance is None:
        rds.create_db_instance(
            DBParameterGroupName=parameter_group_name(spec.identifier),
            DBInstanceIdentifier=spec.identifier,
            Engine=spec.engine,
            EngineVersion=spec.engine_version,
            DBInstanceClass=spec.instance_class,
            AllocatedStorage=spec.allocated_storage,
            DBName=spec.db_name,
            MasterUsername=spec.username,
            MasterUserPassword=password,
            DBSubnetGroupName=spec.subnet_group,
            VpcSecurityGroupIds=[security_group],
            StorageEncrypted=True,
            PubliclyAccessible=False,
            MultiAZ=False,
            BackupRetentionPeriod=1,
            DeletionProtection=False,
            Tags=tag_list,
        )
        changes.append(created(KIND, spec.identifier, f"{spec.engine} {spec.engine_version}"))
    else:
        changes.append(unchanged(KIND, spec.identifier))
    instance = _wait_available(rds, spec.identifier, timeout)
    endpoint = instance["Endpoint"]
    return Database(spec.identifier, endpoint["Address"], int(endpoint["Port"]), tuple(changes))


def _wait_available(rds: Any, identifier: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        instance = _describe(rds, identifier)
        status = instance["DBInstanceStatus"] if instance else "missing"
        if instance is not None and status == "available" and instance.get("Endpoint"):
            return instance
        if status in {"failed", "incompatible-parameters", "storage-full", "missing"}:
            raise RuntimeError(f"database {identifier} is {status}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"database {identifier} still {status} after {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def remove_database(clients: Clients, identifier: str, subnet_group: str) -> list[Change]:
    rds = clients("rds")
    changes = []
    if _describe(rds, identifier) is None:
        changes.append(absent(KIND, identifier))
    else:
        rds.delete_db_instance(
            DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )
        deadline = time.monotonic() + 60
        while _describe(rds, identifier) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        changes.append(deleted(KIND, identifier))
    group = parameter_group_name(identifier)
    try:
        rds.delete_db_parameter_group(DBParameterGroupName=group)
        changes.append(deleted("rds.parameter_group", group))
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        changes.append(absent("rds.parameter_group", group))
    try:
        rds.delete_db_subnet_group(DBSubnetGroupName=subnet_group)
        changes.append(deleted("rds.subnet_group", subnet_group))
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        changes.append(absent("rds.subnet_group", subnet_group))
    return changes
