"""DynamoDB tables: on-demand, encrypted at rest, optional TTL."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

KIND = "dynamodb.table"


def _describe(ddb: Any, name: str) -> dict[str, Any] | None:
    try:
        table: dict[str, Any] = ddb.describe_table(TableName=name)["Table"]
        return table
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def ensure_table(
    clients: Clients,
    name: str,
    hash_key: str,
    *,
    ttl_attribute: str | None = None,
    tags: dict[str, str] | None = None,
) -> Change:
    """A pay-per-request table keyed by the string ``hash_key`` (TTL on ``ttl_attribute``)."""
    ddb = clients("dynamodb")
    table = _describe(ddb, name)
    fresh = table is None
    if table is None:
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True},
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        )
        ddb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
        )
    else:
        key = [k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH"]
        if key != [hash_key]:
            raise RuntimeError(
                f"table {name} exists with hash key {key}, the topology says {hash_key!r}: "
                "run `atelier destroy` (it deletes the data) or fix topology.yaml"
            )
    fixed = []
    if ttl_attribute:
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or (
            ttl.get("AttributeName") != ttl_attribute
        ):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )
            fixed.append(f"ttl on {ttl_attribute}")
    if fresh:
        return created(KIND, name)
    return updated(KIND, name, ", ".join(fixed)) if fixed else unchanged(KIND, name)


def remove_table(clients: Clients, name: str) -> Change:
    ddb = clients("dynamodb")
    try:
        ddb.delete_table(TableName=name)
    except ClientError as exc:
        if is_not_found(exc):
            return absent(KIND, name)
        raise
    return deleted(KIND, name)


def table_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"
