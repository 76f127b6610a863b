"""Secrets Manager secrets generated at deploy: created once, never printed, never committed.

A secret is generated only when it is missing, so a repeat deploy keeps every key and password.
"""

from __future__ import annotations

import json
import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

KIND = "secretsmanager.secret"


@dataclass(frozen=True)
class Secret:
    arn: str
    change: Change


def jwt_signing_key() -> str:
    """A 512-bit HMAC key for HS256/HS512 JWTs."""
    return pysecrets.token_urlsafe(64)


def db_password() -> str:
    """An RDS-safe password (RDS refuses '/', '@', '"' and spaces)."""
    return pysecrets.token_urlsafe(32).replace("-", "A").replace("_", "b")


def ensure_secret(
    clients: Clients,
    name: str,
    generate: Callable[[], str],
    *,
    description: str = "",
    tags: dict[str, str] | None = None,
) -> Secret:
    """The secret ``name``; its value comes from ``generate()`` only if it does not exist."""
    sm = clients("secretsmanager")
    try:
        arn = sm.describe_secret(SecretId=name)["ARN"]
        return Secret(arn, unchanged(KIND, name))
    except ClientError as exc:
        if not is_not_found(exc):
            raise
    arn = sm.create_secret(
        Name=name,
        Description=description,
        SecretString=generate(),
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )["ARN"]
    return Secret(arn, created(KIND, name))


def read_json(clients: Clients, name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        clients("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    )
    return value


def merge_json(clients: Clients, name: str, fields: dict[str, Any]) -> Change:
    """Set ``fields`` in a JSON secret (e.g. the database endpoint once RDS is up)."""
    current = read_json(clients, name)
    if all(current.get(k) == v for k, v in fields.items()):
        return unchanged(KIND, name, "endpoint")
    clients("secretsmanager").put_secret_value(
        SecretId=name, SecretString=json.dumps({**current, **fields}, sort_keys=True)
    )
    return updated(KIND, name, "endpoint " + ", ".join(sorted(fields)))


def remove_secret(clients: Clients, name: str) -> Change:
    try:
        clients("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except ClientError as exc:
        if is_not_found(exc):
            return absent(KIND, name)
        raise
    return deleted(KIND, name)
