"""``atelier users add|list|disable --env <env>``: the API's users in that environment's account.

The table is ``ATELIER_<ENV>_USERS_TABLE`` or the contract's ``atelier-<env>-users``; the
account's credentials resolve as for the registry (``atelier.registry.accounts``). ``add``
generates a password and shows it once, on the terminal only (or writes it to a 0600 file with
``--password-file``): it is never logged, never stored in clear, and cannot be shown again.
Hashes come from the auth lambda's own ``lambda_shared.passwords``.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import ClientError
from rich.console import Console
from rich.table import Table

from atelier.cli_settings import current_settings
from atelier.deploy.users import password_hasher
from atelier.registry.accounts import session

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,128}$")


def _table(env: str) -> str:
    key = f"ATELIER_{env.upper().replace('-', '_')}_USERS_TABLE"
    return os.environ.get(key, "").strip() or f"atelier-{env}-users"


def _ddb(env: str) -> Any:
    if env == "local" and not os.environ.get("AWS_ENDPOINT_URL"):
        # the local runtime's endpoint from the one settings object, for this client only
        return session(env).client("dynamodb", endpoint_url=current_settings().endpoint_url)
    return session(env).client("dynamodb")


def _fail(exc: ClientError, env: str) -> click.ClickException:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ResourceNotFoundException":
        return click.ClickException(f"no users table {_table(env)} in {env}: deploy {env} first")
    return click.ClickException(f"{env}: {code or exc}")


env_option = click.option(
    "--env", "env", required=True, help="Environment (account): qa, preprod, prod, local."
)


@click.group(name="users")
def users_group() -> None:
    """The API's users, in any environment's account."""


@users_group.command(name="add")
@click.argument("username")
@env_option
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the generated password to this file (0600) instead of showing it.",
)
def add(username: str, env: str, password_file: Path | None) -> None:
    """Create USERNAME with a generated password (shown once)."""
    if not USERNAME.fullmatch(username):
        raise click.ClickException("a username is 1 to 128 letters, digits or _ . @ -")
    if password_file is not None and password_file.exists():
        raise click.ClickException(f"{password_file} exists: choose a new file")
    password = secrets.token_urlsafe(18)
    try:
        _ddb(env).put_item(
            TableName=_table(env),
            Item={
                "username": {"S": username},
                "password_hash": {"S": password_hasher()(password)},
                "created_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
            },
            ConditionExpression="attribute_not_exists(username)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise click.ClickException(
                f"user {username!r} already exists in {env}; nothing was changed"
            ) from None
        raise _fail(exc, env) from None
    if password_file is not None:
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        click.echo(f"user {username} created in {env}; password written to {password_file} (0600)")
        return
    click.echo(f"user {username} created in {env}; password (shown once, not stored): {password}")


@users_group.command(name="list")
@env_option
def list_users(env: str) -> None:
    """Every user of ENV with its state (never a password or hash)."""
    table = Table(title=f"users in {env} ({_table(env)})")
    for column in ("username", "created", "state"):
        table.add_column(column)
    try:
        pages = (
            _ddb(env)
            .get_paginator("scan")
            .paginate(
                TableName=_table(env),
                ProjectionExpression="username, created_at, disabled",
            )
        )
        items = [item for page in pages for item in page.get("Items", [])]
    except ClientError as exc:
        raise _fail(exc, env) from None
    for item in sorted(items, key=lambda i: i["username"]["S"]):
        disabled = item.get("disabled", {}).get("BOOL") is True
        table.add_row(
            item["username"]["S"],
            item.get("created_at", {}).get("S", ""),
            "disabled" if disabled else "enabled",
        )
    Console().print(table)


@users_group.command(name="disable")
@click.argument("username")
@env_option
def disable(username: str, env: str) -> None:
    """Disable USERNAME in ENV: the auth route refuses it from now on."""
    try:
        _ddb(env).update_item(
            TableName=_table(env),
            Key={"username": {"S": username}},
            UpdateExpression="SET disabled = :t, disabled_at = :at",
            ConditionExpression="attribute_exists(username)",
            ExpressionAttributeValues={
                ":t": {"BOOL": True},
                ":at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise click.ClickException(f"no user {username!r} in {env}") from None
        raise _fail(exc, env) from None
    click.echo(f"user {username} disabled in {env}")
