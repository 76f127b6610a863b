"""``atelier users add|list|disable --env``: against an account of its own on the runtime."""

from __future__ import annotations

import logging
import random
import re
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from atelier.users.cli import users_group

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambdas" / "shared"))
from lambda_shared.passwords import verify_password

pytestmark = pytest.mark.integration


@pytest.fixture
def qa(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    key = str(random.randrange(10**11, 10**12))
    table = f"t{key}-qa-users"
    monkeypatch.setenv("ATELIER_QA_ACCESS_KEY_ID", key)
    monkeypatch.setenv("ATELIER_QA_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("ATELIER_QA_USERS_TABLE", table)
    monkeypatch.setenv("AWS_ENDPOINT_URL", runtime.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=runtime.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="test",
    )
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "username", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "username", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb, table


def _item(qa: Any, name: str) -> dict[str, Any]:
    ddb, table = qa
    return dict(ddb.get_item(TableName=table, Key={"username": {"S": name}})["Item"])


def test_add_list_disable_in_another_account(qa: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    added = runner.invoke(users_group, ["add", "carol", "--env", "qa"])
    assert added.exit_code == 0, added.output
    match = re.search(r"password \(shown once, not stored\): (\S+)", added.output)
    assert match, added.output
    password = match.group(1)
    assert added.output.count(password) == 1
    assert password not in caplog.text, "the password reached a log"
    item = _item(qa, "carol")
    assert verify_password(password, item["password_hash"]["S"])
    assert password not in str(item)

    again = runner.invoke(users_group, ["add", "carol", "--env", "qa"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert _item(qa, "carol")["password_hash"] == item["password_hash"], "the password changed"

    listed = runner.invoke(users_group, ["list", "--env", "qa"])
    assert listed.exit_code == 0 and "carol" in listed.output and "enabled" in listed.output
    assert password not in listed.output

    off = runner.invoke(users_group, ["disable", "carol", "--env", "qa"])
    assert off.exit_code == 0, off.output
    assert _item(qa, "carol")["disabled"] == {"BOOL": True}
    assert "disabled" in runner.invoke(users_group, ["list", "--env", "qa"]).output
    missing = runner.invoke(users_group, ["disable", "nobody", "--env", "qa"])
    assert missing.exit_code == 1 and "no user" in missing.output


def test_a_password_file_is_0600_and_the_password_is_not_printed(qa: Any, tmp_path: Path) -> None:
    target = tmp_path / "dave.txt"
    result = CliRunner().invoke(
        users_group, ["add", "dave", "--env", "qa", "--password-file", str(target)]
    )
    assert result.exit_code == 0, result.output
    password = target.read_text().strip()
    assert target.stat().st_mode & 0o777 == 0o600
    assert password not in result.output
    assert verify_password(password, _item(qa, "dave")["password_hash"]["S"])
