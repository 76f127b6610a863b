"""``POST /auth``, password hashes and tokens."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import jwt
import pytest
from lambda_testkit import (
    AUDIENCE,
    ISSUER,
    JWT_KEY,
    PASSWORD,
    USERNAME,
    Cloud,
    assert_error,
    invoke,
    load_event,
    load_handler,
    with_body,
)

from lambda_shared import passwords, tokens
from lambda_shared.passwords import hash_password, verify_password
from lambda_shared.users import create_user

EVENT = load_event("apigw_rest_post_auth.json")


def login(body: object, raw: bool = False):  # type: ignore[no-untyped-def]
    return invoke(load_handler("auth").handler, with_body(EVENT, body, raw=raw))


def test_good_credentials_get_a_15_minute_jwt(cloud: Cloud) -> None:
    answer = login({"username": USERNAME, "password": PASSWORD})
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.body) == {"token", "expires_in"}
    assert answer.body["expires_in"] == 900
    claims = jwt.decode(answer.body["token"], JWT_KEY, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["iss"] == ISSUER and claims["sub"] == USERNAME
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 30
    assert claims["jti"]
    assert jwt.get_unverified_header(answer.body["token"])["alg"] == "HS256"
    second = login({"username": USERNAME, "password": PASSWORD})
    assert (
        jwt.decode(second.body["token"], options={"verify_signature": False})["jti"]
        != claims["jti"]
    )


def test_unknown_user_and_wrong_password_get_the_same_401(cloud: Cloud) -> None:
    wrong = login({"username": USERNAME, "password": PASSWORD + "x"})
    unknown = login({"username": "nobody", "password": PASSWORD})
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.body == unknown.body
    assert "token" not in wrong.body


def test_unknown_user_costs_a_hash_verification(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing: an unknown user is verified against a dummy hash, like a wrong password."""
    calls: list[str] = []
    real = passwords.verify_password

    def spy(password: str, encoded: str) -> bool:
        calls.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr("lambda_shared.auth.verify_password", spy)
    login({"username": "nobody", "password": "guess"})
    assert calls == [passwords.dummy_hash()]


def test_disabled_user_cannot_log_in(cloud: Cloud) -> None:
    cloud.ddb().update_item(
        TableName="atelier-test-users",
        Key={"username": {"S": USERNAME}},
        UpdateExpression="SET disabled = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    assert_error(login({"username": USERNAME, "password": PASSWORD}), 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("body", "raw", "status", "code"),
    [
        ('{"username": "ada", "password": ', True, 400, "invalid_json"),
        ("", True, 400, "invalid_json"),
        ({"username": USERNAME}, False, 422, "validation_error"),
        (
            {"username": USERNAME, "password": PASSWORD, "role": "admin"},
            False,
            422,
            "validation_error",
        ),
        ({"username": USERNAME, "password": 123456}, False, 422, "validation_error"),
        ({"username": "", "password": PASSWORD}, False, 422, "validation_error"),
        (
            {"username": "ada' OR '1'='1", "password": "x' OR '1'='1"},
            False,
            401,
            "invalid_credentials",
        ),
        ('{"username": "ada", "username": "eve", "password": "x"}', True, 400, "invalid_json"),
        ({"username": USERNAME, "password": "p" * 70_000}, False, 413, "payload_too_large"),
    ],
)
def test_bad_login_requests(cloud: Cloud, body: object, raw: bool, status: int, code: str) -> None:
    assert_error(login(body, raw=raw), status, code)


def test_passwords_and_tokens_are_never_logged(cloud: Cloud, logs: Callable[[], str]) -> None:
    token = login({"username": USERNAME, "password": PASSWORD}).body["token"]
    login({"username": USERNAME, "password": "wrong-" + PASSWORD})
    login({"username": USERNAME, "password": PASSWORD, "extra": PASSWORD})  # 422 path
    text = logs()
    assert "request refused" in text  # the refusals are logged...
    assert PASSWORD not in text and token not in text  # ...without the secrets


def test_missing_configuration_is_a_json_500(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_testkit import reset_caches

    monkeypatch.delenv("USERS_TABLE")
    reset_caches()
    answer = login({"username": USERNAME, "password": PASSWORD})
    assert_error(answer, 500, "configuration_error")
    assert "USERS_TABLE" not in json.dumps(answer.body)  # details go to the logs only


def test_short_signing_key_is_refused(cloud: Cloud) -> None:
    import boto3

    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=cloud.secret_arn, SecretString="short"
    )
    assert_error(login({"username": USERNAME, "password": PASSWORD}), 500, "configuration_error")


def test_signing_key_may_be_a_json_secret(cloud: Cloud) -> None:
    import boto3

    key = "j" * 64
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=cloud.secret_arn, SecretString=json.dumps({"key": key})
    )
    token = login({"username": USERNAME, "password": PASSWORD}).body["token"]
    assert jwt.decode(token, key, algorithms=["HS256"], audience=AUDIENCE)["sub"] == USERNAME


# ---- password hashes ------------------------------------------------------------------------


def test_hash_format_salt_and_verification() -> None:
    first, second = hash_password("s3cret!"), hash_password("s3cret!")
    assert first != second  # per-hash random salt
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_password("s3cret!", first) and verify_password("s3cret!", second)
    assert not verify_password("s3cret?", first)
    assert "s3cret" not in first


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain",
        "bcrypt$x",
        "scrypt$3$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$!!$!!",
        "scrypt$16384$8$1$AAAA$AAAA",
    ],
)
def test_malformed_hashes_never_verify(encoded: str) -> None:
    assert not verify_password("anything", encoded)


def test_create_user_refuses_to_overwrite(cloud: Cloud) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        create_user("atelier-test-users", USERNAME, "another")
    create_user("atelier-test-users", USERNAME, "another", overwrite=True)
    assert login({"username": USERNAME, "password": "another"}).status == 200


def test_deployer_hasher_is_importable_from_the_layer_sources() -> None:
    """atelier.deploy.users imports lambda_shared.passwords.hash_password from lambdas/shared."""
    import lambda_shared

    assert lambda_shared.hash_password is hash_password
    assert callable(lambda_shared.create_user)


def test_issue_and_verify_roundtrip() -> None:
    token = tokens.issue_token("ada", key=JWT_KEY, issuer=ISSUER, audience=AUDIENCE)
    claims = tokens.verify_token(token, key=JWT_KEY, issuer=ISSUER, audience=AUDIENCE)
    assert claims.subject == "ada"
    with pytest.raises(tokens.TokenError):
        tokens.verify_token(token, key=JWT_KEY + "x", issuer=ISSUER, audience=AUDIENCE)
