"""The TOKEN authorizer: ``Authorization: Bearer <jwt>`` in, an IAM policy out.

A missing, malformed, forged, expired or wrong-issuer/audience token raises
``Unauthorized`` (API Gateway answers 401 when the function fails with exactly that
message). A valid token gets an Allow on every method of this API's stage: the policy may be
cached by API Gateway for the token and reused on other routes, so it must not name only the
method that was called. There are no per-user permissions, hence no Deny (403) case.
A configuration problem (no key) is a plain error: API Gateway answers 500, not 401.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    parse_api_gateway_arn,
)

from lambda_shared import settings, tokens
from lambda_shared.api import logger

_BEARER = re.compile(r"Bearer ([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*)", re.IGNORECASE)
# the resource path is the request's, decoded: any character may follow (a newline too)
_METHOD_ARN = re.compile(
    r"arn:[a-z-]+:execute-api:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9]+/[^/]+/[A-Z*]+(/.*)?", re.DOTALL
)
MAX_HEADER_CHARS = 4096


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__("Unauthorized")


def bearer_token(header: object) -> str:
    if not isinstance(header, str) or not header or len(header) > MAX_HEADER_CHARS:
        raise tokens.TokenError("no Authorization header")
    match = _BEARER.fullmatch(header.strip())
    if match is None:
        raise tokens.TokenError("the Authorization header is not 'Bearer <jwt>'")
    return match.group(1)


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    conf = settings.token_settings()
    try:
        token = bearer_token(event.get("authorizationToken"))
        claims = tokens.verify_token(
            token,
            key=tokens.signing_key(conf.jwt_secret_arn),
            issuer=conf.jwt_issuer,
            audience=conf.jwt_audience,
        )
    except tokens.TokenError as exc:
        logger.info("token refused", reason=str(exc))
        raise Unauthorized() from None
    method_arn = str(event.get("methodArn", ""))
    if not _METHOD_ARN.fullmatch(method_arn):
        raise ValueError(f"not an execute-api method ARN: {method_arn[:200]!r}")
    arn = parse_api_gateway_arn(method_arn)
    policy = APIGatewayAuthorizerResponse(
        principal_id=claims.subject,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context={"username": claims.subject},
    )
    policy.allow_all_routes()
    logger.info("token accepted", username=claims.subject, jti=claims.token_id)
    return policy.asdict()
