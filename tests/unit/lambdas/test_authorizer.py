"""The TOKEN authorizer: forged, expired, missing and wrong-audience tokens are 401."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import jwt
import pytest
from lambda_testkit import (
    AUDIENCE,
    ISSUER,
    JWT_KEY,
    ROOT,
    Cloud,
    LambdaContext,
    load_event,
    load_handler,
)

from atelier.topology import Expansion, expand, load
from lambda_shared import tokens

EVENT = load_event("apigw_token_authorizer.json")


@cache
def load_expansion() -> Expansion:
    return expand(load(), "local")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    out = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "ada",
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
    }
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not None}


def token(key: str = JWT_KEY, algorithm: str = "HS256", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm=algorithm)


def entry_point() -> Callable[..., dict[str, Any]]:
    """The authorizer as topology.yaml builds it: ``lambdas/auth``, ``handler.authorize``."""
    fn = load_expansion().lambdas["authorizer"]
    assert (fn.source, fn.handler) == ("lambdas/auth", "handler.authorize")
    module, _, name = fn.handler.partition(".")
    assert module == "handler"
    return getattr(load_handler(fn.source.removeprefix("lambdas/")), name)  # type: ignore[no-any-return]


def authorize(header: str | None) -> dict[str, Any]:
    event = dict(EVENT)
    if header is None:
        event.pop("authorizationToken")
    else:
        event["authorizationToken"] = header
    return entry_point()(event, LambdaContext())


def test_the_authorizer_has_one_entry_point() -> None:
    """topology.yaml builds the authorizer from lambdas/auth; there is no second copy."""
    fns = load_expansion().lambdas
    assert fns["authorizer"].authorizer and fns["authorizer"].source == fns["auth"].source
    assert not (ROOT / "lambdas" / "authorizer").exists()
    assert callable(entry_point())


def test_valid_token_gets_allow_on_the_whole_stage(cloud: Cloud) -> None:
    policy = authorize(f"Bearer {token()}")
    assert policy["principalId"] == "ada"
    assert policy["context"] == {"username": "ada"}
    (statement,) = policy["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == ["arn:aws:execute-api:eu-west-3:123456789012:a1b2c3d4e5/v1/*/*"]


def test_token_from_the_auth_route_is_accepted(cloud: Cloud) -> None:
    from lambda_testkit import PASSWORD, USERNAME, invoke, with_body

    answer = invoke(
        load_handler("auth").handler,
        with_body(
            load_event("apigw_rest_post_auth.json"), {"username": USERNAME, "password": PASSWORD}
        ),
    )
    assert authorize(f"Bearer {answer.body['token']}")["principalId"] == USERNAME


def _forged_none() -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    return f"{header}.{body}."


def _tampered() -> str:
    head, _, sig = token().split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims(sub="root")).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


BAD = {
    "missing header": None,
    "empty": "",
    "no scheme": token(),
    "basic scheme": "Basic YWRhOnB3",
    "bearer without token": "Bearer ",
    "garbage": "Bearer not-a-jwt",
    "forged with another key": f"Bearer {token(key='x' * 64)}",
    "alg none": f"Bearer {_forged_none()}",
    "tampered payload": f"Bearer {_tampered()}",
    "HS512 not accepted": f"Bearer {token(algorithm='HS512')}",
    "expired": f"Bearer {token(iat=int(time.time()) - 2000, exp=int(time.time()) - 60)}",
    "wrong audience": f"Bearer {token(aud='another-api')}",
    "wrong issuer": f"Bearer {token(iss='someone-else')}",
    "no exp": f"Bearer {token(exp=None)}",
    "no jti": f"Bearer {token(jti=None)}",
    "no sub": f"Bearer {token(sub=None)}",
    # made at collection: far enough ahead to be still in the future when a slow run gets here
    "not yet valid": f"Bearer {token(nbf=int(time.time()) + 30 * 86400, exp=int(time.time()) + 31 * 86400)}",
    "two tokens": f"Bearer {token()} Bearer {token()}",
    "huge": "Bearer " + "a" * 10_000,
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_tokens_are_unauthorized(cloud: Cloud, name: str) -> None:
    """API Gateway answers 401 when the function fails with exactly "Unauthorized"."""
    with pytest.raises(Exception) as err:
        authorize(BAD[name])
    assert str(err.value) == "Unauthorized"


def test_scheme_is_case_insensitive(cloud: Cloud) -> None:
    assert authorize(f"bearer {token()}")["principalId"] == "ada"


def test_refusals_do_not_log_the_token(cloud: Cloud, logs: Callable[[], str]) -> None:
    bad, good = token(aud="another-api"), token()
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(f"Bearer {bad}")
    authorize(f"Bearer {good}")
    text = logs()
    assert "token refused" in text and "InvalidAudienceError" in text and "token accepted" in text
    for jwt_text in (bad, good):
        assert jwt_text.split(".")[2] not in text


def test_unreachable_key_is_an_authorizer_failure_not_a_401(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key means a broken deployment: API Gateway must answer 500, not tell users to log in."""
    from lambda_testkit import reset_caches

    monkeypatch.setenv("JWT_SECRET_ARN", cloud.secret_arn + "-missing")
    reset_caches()
    with pytest.raises(Exception) as err:
        authorize(f"Bearer {token()}")
    assert str(err.value) != "Unauthorized"


def test_malformed_method_arn_is_an_error(cloud: Cloud) -> None:
    event = dict(EVENT, authorizationToken=f"Bearer {token()}", methodArn="not-an-arn")
    with pytest.raises(ValueError, match="method ARN"):
        entry_point()(event, LambdaContext())


@pytest.mark.parametrize("path", ["jobs/\n", "jobs/a\nb", "jobs/\r\n", "jobs/\x00"])
def test_a_path_holding_control_characters_is_allowed_like_any_other(
    cloud: Cloud, path: str
) -> None:
    """The method ARN ends with the decoded request path; a job id with a newline in it is
    the route's to refuse (400), not an authorizer failure (API Gateway's 500)."""
    stage = str(EVENT["methodArn"]).rsplit("/", 2)[0]  # arn:...:api/stage
    arn = f"{stage}/GET/{path}"
    event = dict(EVENT, authorizationToken=f"Bearer {token()}", methodArn=arn)
    policy = entry_point()(event, LambdaContext())
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_key_is_cached(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    from lambda_shared import aws

    real = aws.client("secretsmanager").get_secret_value

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(aws.client("secretsmanager"), "get_secret_value", counting)
    for _ in range(3):
        authorize(f"Bearer {token()}")
    assert len(calls) == 1
    tokens.reset()
    authorize(f"Bearer {token()}")
    assert len(calls) == 2


def test_the_signing_key_is_fetched_at_init_not_in_the_first_request(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function's init (its module's import) fetches the key; its first authorization then
    makes no Secrets Manager call (~80 ms of the first request after a deploy otherwise)."""
    module = load_handler("auth", fresh=True)  # a cold start of the authorizer's bundle
    assert cloud.secret_arn in tokens._keys, "the init did not fetch the signing key"

    def no_call(service: str) -> Any:
        raise AssertionError(f"the first request called {service}")

    monkeypatch.setattr(tokens, "client", no_call)
    event = {**EVENT, "authorizationToken": f"Bearer {token()}"}
    assert module.authorize(event, LambdaContext())["principalId"] == "ada"


def test_the_init_warm_up_runs_in_a_lambda_only_and_never_fails_it(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_shared.api import warm_up

    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("no secret yet")

    warm_up(broken, lambda: ran.append("next"))  # AWS_LAMBDA_FUNCTION_NAME is set
    assert ran == ["broken", "next"]
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    warm_up(broken)
    assert ran == ["broken", "next"], "ran outside a Lambda (a test or a script importing it)"
