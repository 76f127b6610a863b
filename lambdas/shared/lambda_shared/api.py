"""The API Gateway (REST, proxy) side of every route lambda: one resolver factory that turns
every error into a JSON body, and the structured logger with the request's correlation id."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_shared.errors import ApiError
from lambda_shared.metrics import record

logger = Logger(service="atelier-api")

# topology.yaml api.cors_origins is ["*"]; the browser sends only the bearer token, no cookies.
CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    max_age=600,
)


def json_response(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    )


def error_response(error: ApiError) -> Response[str]:
    return json_response(error.status, error.body())


def make_app() -> APIGatewayRestResolver:
    """A resolver whose every failure, expected or not, is a JSON ``{"message", "error"}``."""
    app = APIGatewayRestResolver(cors=CORS)

    def _api_error(exc: ApiError) -> Response[str]:
        log = logger.error if exc.status >= 500 else logger.info
        log(
            "request refused",
            status=exc.status,
            error=exc.code,
            reason=exc.message,
            internal=exc.internal,
        )
        return error_response(exc)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        message = f"no route {event.http_method} {event.path[:200]}"
        return json_response(404, {"message": message, "error": "route_not_found"})

    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return json_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            {"message": "internal error; see the function's logs", "error": "internal_error"},
        )

    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(Exception)(_unexpected)
    return app


def entry(
    app: APIGatewayRestResolver, pipeline: str | None = None
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler of ``app``: correlation id = API Gateway's request id; the event
    (it holds the Authorization header and passwords) is never logged. Each request's latency
    and status class go out as EMF (``lambda_shared.metrics``), with ``pipeline`` when the route
    serves one."""

    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
    )
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        started = time.perf_counter()
        response = app.resolve(event, context)
        elapsed_ms = (time.perf_counter() - started) * 1000
        record(event, int(response.get("statusCode") or 500), elapsed_ms, pipeline)
        return response

    return handler


def warm_up(*steps: Callable[[], object]) -> None:
    """Run ``steps`` in the Lambda's init phase (at import, where ``AWS_LAMBDA_FUNCTION_NAME``
    is set), not in its first request: on AWS the init of a provisioned or pre-warmed
    environment runs before any request, as the local runtime's warm workers do. Best effort:
    a step that fails is left for the first request to meet and report as usual."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - the request that needs it reports it
            logger.info("warm-up step skipped", step=getattr(step, "__name__", ""), reason=str(exc))
