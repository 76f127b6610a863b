"""JWTs (HS256) signed with the key in Secrets Manager: issued by ``/auth``, checked by the
authorizer. Claims: iss, aud, sub (the username), iat, nbf, exp (15 minutes), jti."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from lambda_shared import settings
from lambda_shared.aws import client
from lambda_shared.errors import ConfigurationError

ALGORITHM = "HS256"
TOKEN_TTL_SECONDS = 900
KEY_CACHE_SECONDS = 300  # a rotated key is picked up within 5 minutes
MIN_KEY_BYTES = 32  # RFC 7518 3.2: an HS256 key is at least as long as the hash
LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti"]

_keys: dict[str, tuple[float, str]] = {}


class TokenError(Exception):
    """The token is missing, malformed, forged, expired or for someone else."""


@dataclass(frozen=True)
class Claims:
    subject: str
    token_id: str
    expires_at: int


def prefetch_signing_key() -> None:
    """The configured signing key fetched and cached now (with its Secrets Manager client)."""
    signing_key(settings.token_settings().jwt_secret_arn)


def signing_key(secret_arn: str) -> str:
    """The HMAC key: the secret's string, or its ``"key"`` field when it is a JSON object."""
    now = time.monotonic()
    cached = _keys.get(secret_arn)
    if cached and cached[0] > now:
        return cached[1]
    value = client("secretsmanager").get_secret_value(SecretId=secret_arn).get("SecretString")
    key = value if isinstance(value, str) else ""
    if key.startswith("{"):
        try:
            parsed = json.loads(key)
        except json.JSONDecodeError:
            parsed = None
        key = str(parsed.get("key", "")) if isinstance(parsed, dict) else key
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ConfigurationError(
            "the API is misconfigured; see the function's logs",
            internal=f"the JWT signing key is shorter than {MIN_KEY_BYTES} bytes",
        )
    _keys[secret_arn] = (now + KEY_CACHE_SECONDS, key)
    return key


def reset() -> None:
    _keys.clear()


def issue_token(
    subject: str, *, key: str, issuer: str, audience: str, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + TOKEN_TTL_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_token(token: str, *, key: str, issuer: str, audience: str) -> Claims:
    """The token's claims if its signature, algorithm, expiry, issuer and audience are right."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],  # never "none", never an algorithm the token chooses
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {type(exc).__name__}") from exc
    subject, token_id = claims.get("sub"), claims.get("jti")
    if not isinstance(subject, str) or not subject or not isinstance(token_id, str):
        raise TokenError("invalid token: bad sub or jti")
    return Claims(subject=subject, token_id=token_id, expires_at=int(claims["exp"]))
