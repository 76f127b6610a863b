"""API users in ``USERS_TABLE`` (pk ``username``, ``password_hash``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lambda_shared.aws import client
from lambda_shared.passwords import hash_password


def create_user(
    table: str,
    username: str,
    password: str,
    *,
    overwrite: bool = False,
    dynamodb: Any = None,
) -> None:
    """Store ``username`` with the hash of ``password``.

    Refuses to replace an existing user (``ConditionalCheckFailedException``) unless
    ``overwrite`` is set, so a typo cannot silently reset someone else's password.
    """
    if not username:
        raise ValueError("a username cannot be empty")
    kwargs: dict[str, Any] = {}
    if not overwrite:
        kwargs["ConditionExpression"] = "attribute_not_exists(username)"
    (dynamodb or client("dynamodb")).put_item(
        TableName=table,
        Item={
            "username": {"S": username},
            "password_hash": {"S": hash_password(password)},
            "created_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
        },
        **kwargs,
    )


def password_hash(table: str, username: str) -> str | None:
    """The stored hash of ``username``, or None when there is no such (enabled) user."""
    item = (
        client("dynamodb")
        .get_item(TableName=table, Key={"username": {"S": username}}, ConsistentRead=True)
        .get("Item")
    )
    if not item or item.get("disabled", {}).get("BOOL") is True:
        return None
    value = item.get("password_hash", {}).get("S")
    return value if isinstance(value, str) else None
