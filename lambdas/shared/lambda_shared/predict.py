"""``POST /structured_data``: forward ``{"id"}`` to the service's ``/predict`` behind its ALB.

The service's answers map to API errors: 404 (unknown id) and 422 pass through with the
service's message; no connection (or the ALB's 502/503: no healthy target) is 503; a timeout
(or the ALB's 504) is 504; anything else, a redirect, or a body that is not a JSON object, is
502.

Connections to the ALB are kept alive across invocations of a warm worker (urllib3, which the
Lambda runtime ships with botocore): a new connection per call cost the ALB, locally the
runtime, an accept and a teardown for every prediction (docs/benchmarks.md, "Load"). A
connection the ALB closed while idle is dropped before reuse; a failed call is never retried
(a prediction is recorded by the service).
"""

from __future__ import annotations

import json
from typing import Any

import urllib3

from lambda_shared import settings
from lambda_shared.errors import (
    ApiError,
    NotFound,
    ServiceUnavailable,
    UpstreamError,
    UpstreamTimeout,
    ValidationFailed,
)

TIMEOUT_SECONDS = 8.0  # per socket operation; the lambda has 15 s, API Gateway 29 s
MAX_RESPONSE_BYTES = 1024 * 1024


_http = urllib3.PoolManager(maxsize=4, retries=False)


def _message(raw: bytes, default: str) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return default
    value = body.get("message") or body.get("detail") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else default


def _service_error(status: int, raw: bytes) -> ApiError:
    if status == 404:
        return NotFound(_message(raw, "no record with this id"))
    if status == 422:
        return ValidationFailed(_message(raw, "the service refused this id"))
    if status in (502, 503):
        return ServiceUnavailable("the structured-data service is unavailable; try again later")
    if status == 504:
        return UpstreamTimeout("the structured-data service did not answer in time")
    return UpstreamError(
        "the structured-data service failed", internal=f"service answered HTTP {status}"
    )


def predict(record_id: str) -> dict[str, Any]:
    url = settings.service_settings().service_url + "/predict"
    unavailable = "the structured-data service is unavailable; try again later"
    try:
        response = _http.request(
            "POST",
            url,
            body=json.dumps({"id": record_id}).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            timeout=urllib3.Timeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS),
            redirect=False,  # a redirect is answered as the 3xx it is, never followed
            preload_content=False,
        )
        complete = False
        try:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
            complete = len(raw) <= MAX_RESPONSE_BYTES
        finally:
            if not complete:
                response.close()  # unread or half-read data left: the connection is not reused
            response.release_conn()
    except urllib3.exceptions.NewConnectionError as exc:  # refused: a timeout to urllib3
        raise ServiceUnavailable(unavailable, internal=f"{url}: {exc}") from exc
    except urllib3.exceptions.TimeoutError as exc:
        raise UpstreamTimeout("the structured-data service did not answer in time") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:  # refused, reset mid-answer...
        raise ServiceUnavailable(unavailable, internal=f"{url}: {exc}") from exc
    if response.status >= 300:
        raise _service_error(response.status, raw[:MAX_RESPONSE_BYTES])
    if len(raw) > MAX_RESPONSE_BYTES:
        raise UpstreamError("the structured-data service answered too much data")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise UpstreamError(
            "the structured-data service answered something that is not JSON"
        ) from exc
    if not isinstance(body, dict):
        raise UpstreamError("the structured-data service answered something that is not an object")
    return body
