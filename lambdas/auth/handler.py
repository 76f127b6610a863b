"""``POST /auth`` (``handler``) and the API's TOKEN authorizer (``authorize``).

topology.yaml builds the authorizer function from this directory with ``handler.authorize``
(its only entry point: the two functions share this bundle).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_shared.api import entry, json_response, logger, make_app, warm_up
from lambda_shared.auth import login
from lambda_shared.authorizer import authorize as authorize_token
from lambda_shared.request_body import json_object
from lambda_shared.tokens import prefetch_signing_key
from lambda_shared.validation import LoginRequest, parse

app = make_app()
# both functions of this bundle need the signing key: fetched at init, not in the first
# request (~80 ms of the first authorization after a deploy otherwise)
warm_up(prefetch_signing_key)


@app.post("/auth")
def post_auth() -> Response[str]:
    request = parse(LoginRequest, json_object(app.current_event.raw_event))
    return json_response(200, login(request))


handler = entry(app)


@logger.inject_lambda_context(log_event=False, clear_state=True)  # the token stays out
def authorize(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize_token(event)
