"""The API user created at deploy: a generated password, shown once, kept in a 0600 file.

The password hash comes from ``lambda_shared`` (the layer the auth lambda verifies with), so
the deployer and the lambda can never disagree on the format. A repeat deploy keeps the user
as long as its credentials file is there; without the file nobody knows the password, so a
new one is generated (and shown) again.
"""

from __future__ import annotations

import json
import os
import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from atelier.deploy.change import Change, created, unchanged, updated
from atelier.deploy.clients import Clients
from atelier.deploy.context import ADMIN_USERNAME

CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class Account:
    username: str
    change: Change
    new_password: str | None = field(default=None, repr=False)  # set only when just generated


def password_hasher() -> Callable[[str], str]:
    """``lambda_shared``'s password hash function (the atelier-lambda-shared distribution)."""
    try:
        from lambda_shared.passwords import hash_password
    except ImportError as exc:
        raise RuntimeError(
            "cannot create the API user: lambda_shared.passwords.hash_password is missing; "
            f"install lambdas/shared (pip install -e lambdas/shared) ({exc})"
        ) from exc
    hasher: Callable[[str], str] = hash_password
    return hasher


def read_credentials(home: Path) -> dict[str, str] | None:
    path = home / CREDENTIALS_FILE
    if not path.is_file():
        return None
    data: dict[str, str] = json.loads(path.read_text())
    return data


def write_credentials(home: Path, username: str, password: str) -> Path:
    """Write the credentials readable by the owner only (created 0600, never wider)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / CREDENTIALS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"username": username, "password": password}, out, indent=2)
    path.chmod(0o600)
    return path


def ensure_admin(
    clients: Clients,
    table: str,
    home: Path,
    username: str = ADMIN_USERNAME,
    hasher: Callable[[str], str] | None = None,
) -> Account:
    ddb = clients("dynamodb")
    item = ddb.get_item(TableName=table, Key={"username": {"S": username}}).get("Item")
    creds = read_credentials(home)
    if item is not None and creds is not None and creds.get("username") == username:
        return Account(username, unchanged("user", username))
    password = pysecrets.token_urlsafe(18)
    password_hash = (hasher or password_hasher())(password)
    ddb.put_item(
        TableName=table,
        Item={
            "username": {"S": username},
            "password_hash": {"S": password_hash},
            "created_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
        },
    )
    write_credentials(home, username, password)
    if item is None:
        return Account(username, created("user", username), password)
    return Account(username, updated("user", username, "new password"), password)
