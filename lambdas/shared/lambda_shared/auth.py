"""``POST /auth``: a username and password against the stored hash, answered with a JWT."""

from __future__ import annotations

from typing import Any

from lambda_shared import settings, tokens, users
from lambda_shared.errors import InvalidCredentials
from lambda_shared.passwords import dummy_hash, verify_password
from lambda_shared.validation import LoginRequest

BAD_CREDENTIALS = "invalid username or password"


def login(request: LoginRequest) -> dict[str, Any]:
    """``{"token", "expires_in"}``; 401 with one message for an unknown user and a wrong
    password, after the same amount of hashing work for both."""
    conf = settings.token_settings()
    fallback = dummy_hash()  # built on a container's first login, whoever logs in
    stored = users.password_hash(settings.users_settings().users_table, request.username)
    matches = verify_password(request.password, stored if stored is not None else fallback)
    if stored is None or not matches:
        raise InvalidCredentials(BAD_CREDENTIALS)
    token = tokens.issue_token(
        request.username,
        key=tokens.signing_key(conf.jwt_secret_arn),
        issuer=conf.jwt_issuer,
        audience=conf.jwt_audience,
    )
    return {"token": token, "expires_in": tokens.TOKEN_TTL_SECONDS}
