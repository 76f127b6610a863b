"""DynamoDB tables: on-demand, encrypted at rest, optional TTL and global secondary indexes."""

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
    indexes: dict[str, dict[str, str | None]] | None = None,
    tags: dict[str, str] | None = None,
) -> Change:
    """A pay-per-request table keyed by the string ``hash_key`` (TTL on ``ttl_attribute``),
    with the global secondary ``indexes`` (name -> {hash_key, range_key}); a missing index is
    added to an existing table."""
    ddb = clients("dynamodb")
    table = _describe(ddb, name)
    fresh = table is None
    wanted = {n: _index(n, ix) for n, ix in sorted((indexes or {}).items())}
    if table is None:
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=_attributes(hash_key, indexes or {}),
            KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
            **({"GlobalSecondaryIndexes": list(wanted.values())} if wanted else {}),
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
    have = {i["IndexName"] for i in (table or {}).get("GlobalSecondaryIndexes") or []}
    for index_name, spec in wanted.items():
        if table is not None and index_name not in have:
            ddb.update_table(
                TableName=name,
                AttributeDefinitions=_attributes(hash_key, indexes or {}),
                GlobalSecondaryIndexUpdates=[{"Create": spec}],
            )
            fixed.append(f"index {index_name}")
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


def _index(name: str, spec: dict[str, str | None]) -> dict[str, Any]:
    keys = [{"AttributeName": spec["hash_key"], "KeyType": "HASH"}]
    if spec.get("range_key"):
        keys.append({"AttributeName": spec["range_key"], "KeyType": "RANGE"})
    return {"IndexName": name, "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}}


def _attributes(hash_key: str, indexes: dict[str, dict[str, str | None]]) -> list[dict[str, str]]:
    names = {hash_key}
    for spec in indexes.values():
        names |= {k for k in (spec.get("hash_key"), spec.get("range_key")) if k}
    return [{"AttributeName": n, "AttributeType": "S"} for n in sorted(names)]


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
