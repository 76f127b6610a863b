"""Each ensure_* reports created → unchanged → updated honestly (moto's in-process AWS)."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from atelier.deploy import dynamodb, ecs, iam, kms, lambda_, s3, secrets, users
from atelier.deploy.bundle import Bundle, zip_entries
from atelier.deploy.change import Action
from atelier.deploy.clients import Clients


def _bundle(source: str) -> Bundle:
    return Bundle("fn", zip_entries([("handler.py", source.encode())]))


def _role(clients: Clients, name: str = "fn-role") -> str:
    return iam.ensure_role(clients, name, "lambda.amazonaws.com", {}).arn


def _spec(role: str, **overrides: object) -> lambda_.FunctionSpec:
    fields: dict[str, object] = {
        "name": "fn",
        "handler": "handler.handler",
        "role_arn": role,
        "timeout": 10,
        "memory": 256,
        "env": {"A": "1"},
        "layers": [],
    }
    fields.update(overrides)
    return lambda_.FunctionSpec(**fields)  # type: ignore[arg-type]


def test_lambda_code_is_updated_only_when_its_hash_changes(clients: Clients) -> None:
    role = _role(clients)
    v1 = _bundle("def handler(e, c):\n    return 1\n")

    assert lambda_.ensure_function(clients, _spec(role), v1).change.action is Action.CREATED
    assert lambda_.ensure_function(clients, _spec(role), v1).change.action is Action.UNCHANGED

    v2 = _bundle("def handler(e, c):\n    return 2\n")
    change = lambda_.ensure_function(clients, _spec(role), v2).change
    assert (change.action, change.detail) == (Action.UPDATED, "code")
    got = clients("lambda").get_function_configuration(FunctionName="fn")["CodeSha256"]
    assert got == v2.code_sha256
    assert lambda_.ensure_function(clients, _spec(role), v2).change.action is Action.UNCHANGED


def test_lambda_configuration_drift_is_corrected_and_named(clients: Clients) -> None:
    role = _role(clients)
    code = _bundle("x = 1\n")
    lambda_.ensure_function(clients, _spec(role), code)

    change = lambda_.ensure_function(clients, _spec(role, env={"A": "2"}, timeout=20), code).change

    assert change.action is Action.UPDATED
    assert (
        "Environment" in change.detail
        and "Timeout" in change.detail
        and "code" not in change.detail
    )
    conf = clients("lambda").get_function_configuration(FunctionName="fn")
    assert conf["Environment"]["Variables"] == {"A": "2"} and conf["Timeout"] == 20


def test_layer_is_republished_only_for_new_bytes(clients: Clients) -> None:
    arn1, c1 = lambda_.ensure_layer(clients, "shared", _bundle("a = 1\n"))
    arn2, c2 = lambda_.ensure_layer(clients, "shared", _bundle("a = 1\n"))
    arn3, c3 = lambda_.ensure_layer(clients, "shared", _bundle("a = 2\n"))
    assert (c1.action, c2.action, c3.action) == (Action.CREATED, Action.UNCHANGED, Action.UPDATED)
    assert arn1 == arn2 != arn3


def test_bucket_settings_are_restored_when_they_drift(clients: Clients) -> None:
    assert s3.ensure_bucket(clients, "bucket-b", versioned=True).action is Action.CREATED
    assert s3.ensure_bucket(clients, "bucket-b", versioned=True).action is Action.UNCHANGED

    clients("s3").delete_public_access_block(Bucket="bucket-b")
    change = s3.ensure_bucket(clients, "bucket-b", versioned=True)

    assert (change.action, change.detail) == (Action.UPDATED, "public access block")
    block = clients("s3").get_public_access_block(Bucket="bucket-b")[
        "PublicAccessBlockConfiguration"
    ]
    assert block == s3.BLOCK_ALL


def test_the_environment_key_is_made_once_and_found_by_its_alias(clients: Clients) -> None:
    arn, change = kms.ensure_key(clients, "atelier-local-", "123456789012")
    assert (change.action, change.name) == (Action.CREATED, "alias/atelier-local")
    again, repeat = kms.ensure_key(clients, "atelier-local-", "123456789012")
    assert (again, repeat.action) == (arn, Action.UNCHANGED)
    api = clients("kms")
    assert api.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]
    policy = json.loads(api.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
    assert policy == kms.key_policy("123456789012")
    # drift: enabled again, as Terraform's is_enabled does
    api.disable_key(KeyId=api.describe_key(KeyId=arn)["KeyMetadata"]["KeyId"])
    assert kms.ensure_key(clients, "atelier-local-", "123456789012")[1].detail == "enabled"
    assert kms.remove_key(clients, "atelier-local-").action is Action.DELETED
    assert api.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.remove_key(clients, "atelier-local-").action is Action.ABSENT


def test_data_buckets_use_the_key_as_terraform_does_and_a_repeat_changes_nothing(
    clients: Clients,
) -> None:
    arn, _ = kms.ensure_key(clients, "atelier-local-", "123456789012")
    assert s3.ensure_bucket(clients, "data-b", kms_key_arn=arn).action is Action.CREATED
    assert s3.ensure_bucket(clients, "data-b", kms_key_arn=arn).action is Action.UNCHANGED
    rule = clients("s3").get_bucket_encryption(Bucket="data-b")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]
    # terraform/modules/data: sse_algorithm aws:kms, kms_master_key_id the key, bucket key on
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}  # fmt: skip
    assert rule["BucketKeyEnabled"] is True
    # a bucket left with SSE-S3 by an earlier deploy is moved to the key
    assert s3.ensure_bucket(clients, "old-b").action is Action.CREATED
    change = s3.ensure_bucket(clients, "old-b", kms_key_arn=arn)
    assert (change.action, change.detail) == (Action.UPDATED, "encryption")
    # the website bucket keeps SSE-S3 (terraform/modules/frontend)
    s3.ensure_bucket(clients, "site-b", website=True, public_website=True)
    site = clients("s3").get_bucket_encryption(Bucket="site-b")
    default = site["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert default["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_site_sync_uploads_only_what_differs_and_removes_the_rest(clients: Clients) -> None:
    s3.ensure_bucket(clients, "site-bucket", website=True, public_website=True)
    files = {"index.html": b"<h1>1</h1>", "app.js": b"1"}
    assert s3.sync_files(clients, "site-bucket", files).action is Action.CREATED
    assert s3.sync_files(clients, "site-bucket", files).action is Action.UNCHANGED

    change = s3.sync_files(clients, "site-bucket", {"index.html": b"<h1>2</h1>"})

    assert change.detail == "1 uploaded, 1 removed"
    keys = [o["Key"] for o in clients("s3").list_objects_v2(Bucket="site-bucket")["Contents"]]
    assert keys == ["index.html"]
    head = clients("s3").head_object(Bucket="site-bucket", Key="index.html")
    assert head["ContentType"] == "text/html"


def test_table_ttl_is_enabled_once(clients: Clients) -> None:
    assert dynamodb.ensure_table(clients, "t", "id", ttl_attribute="exp").action is Action.CREATED
    assert dynamodb.ensure_table(clients, "t", "id", ttl_attribute="exp").action is Action.UNCHANGED
    with pytest.raises(RuntimeError, match="hash key"):
        dynamodb.ensure_table(clients, "t", "other")


def test_role_policies_are_reconciled_to_exactly_the_declared_set(clients: Clients) -> None:
    doc = iam.policy(iam.statement(["s3:GetObject"], ["arn:aws:s3:::b/*"]))
    first = iam.ensure_role(clients, "r", "lambda.amazonaws.com", {"p": doc, "old": doc})
    assert first.change.action is Action.CREATED
    assert (
        iam.ensure_role(clients, "r", "lambda.amazonaws.com", {"p": doc, "old": doc}).change.action
        is Action.UNCHANGED
    )

    wider = iam.policy(iam.statement(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::b/*"]))
    change = iam.ensure_role(clients, "r", "lambda.amazonaws.com", {"p": wider}).change

    assert change.action is Action.UPDATED and change.detail == "p, -old"
    assert clients("iam").list_role_policies(RoleName="r")["PolicyNames"] == ["p"]


def test_secrets_are_generated_only_when_missing(clients: Clients) -> None:
    calls: list[int] = []

    def generate() -> str:
        calls.append(1)
        return "s3cr3t"

    first = secrets.ensure_secret(clients, "jwt", generate)
    second = secrets.ensure_secret(clients, "jwt", generate)

    assert (first.change.action, second.change.action) == (Action.CREATED, Action.UNCHANGED)
    assert first.arn == second.arn and len(calls) == 1
    value = clients("secretsmanager").get_secret_value(SecretId="jwt")["SecretString"]
    assert value == "s3cr3t"


def test_task_definition_gets_a_revision_only_when_it_differs(clients: Clients) -> None:
    definition = {
        "family": "fam",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {
                "name": "c",
                "image": "img:latest",
                "essential": True,
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            }
        ],
    }
    first = ecs.ensure_task_definition(clients, definition)
    again = ecs.ensure_task_definition(clients, definition)
    definition["containerDefinitions"][0]["image"] = "img:v2"  # type: ignore[index]
    changed = ecs.ensure_task_definition(clients, definition)

    assert first.change.action is Action.CREATED and first.arn.endswith(":1")
    assert again.change.action is Action.UNCHANGED and again.arn == first.arn
    assert changed.change.action is Action.UPDATED and changed.arn.endswith(":2")


def test_the_user_password_is_generated_once_and_kept_private(
    clients: Clients, tmp_path: Path
) -> None:
    dynamodb.ensure_table(clients, "users", "username")

    def hasher(password: str) -> str:
        return "h:" + password[::-1]

    first = users.ensure_admin(clients, "users", tmp_path, "alice", hasher)
    again = users.ensure_admin(clients, "users", tmp_path, "alice", hasher)

    assert first.change.action is Action.CREATED and first.new_password
    assert again.change.action is Action.UNCHANGED and again.new_password is None
    creds = tmp_path / users.CREDENTIALS_FILE
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert json.loads(creds.read_text()) == {"username": "alice", "password": first.new_password}
    item = clients("dynamodb").get_item(TableName="users", Key={"username": {"S": "alice"}})["Item"]
    assert item["password_hash"]["S"] == "h:" + first.new_password[::-1]
    assert first.new_password not in repr(first)

    creds.unlink()  # nobody knows the password any more: a new one, shown again
    lost = users.ensure_admin(clients, "users", tmp_path, "alice", hasher)
    assert lost.change.action is Action.UPDATED and lost.new_password not in (
        None,
        first.new_password,
    )


def test_bundles_built_twice_are_accepted_as_unchanged_by_lambda(
    clients: Clients, tmp_path: Path
) -> None:
    """Moto computes CodeSha256 itself: the local hash must match its format exactly."""
    role = _role(clients)
    data = zip_entries([("handler.py", b"x = 1\n")])
    lambda_.ensure_function(clients, _spec(role), Bundle("fn", data))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["handler.py"]
    rebuilt = Bundle("fn", zip_entries([("handler.py", b"x = 1\n")]))
    assert lambda_.ensure_function(clients, _spec(role), rebuilt).change.action is Action.UNCHANGED
