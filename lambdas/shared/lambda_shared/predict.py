"""``POST /structured_data``: forward ``{"id"}`` to the service's ``/predict`` behind its ALB.

The service's answers map to API errors: 404 (unknown id) and 422 pass through with the
service's message; no connection (or the ALB's 502/503: no healthy target) is 503; a timeout
(or the ALB's 504) is 504; anything else, or a body that is not a JSON object, is 502.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the 3xx it is, never followed


_opener = urllib.request.build_opener(_NoRedirect)


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
    request = urllib.request.Request(  # noqa: S310 - SERVICE_URL is validated http(s)
        url,
        data=json.dumps({"id": record_id}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise _service_error(exc.code, exc.read(MAX_RESPONSE_BYTES)) from exc
    except TimeoutError as exc:
        raise UpstreamTimeout("the structured-data service did not answer in time") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise UpstreamTimeout("the structured-data service did not answer in time") from exc
        raise ServiceUnavailable(
            "the structured-data service is unavailable; try again later",
            internal=f"{url}: {exc.reason}",
        ) from exc
    except OSError as exc:  # connection reset mid-answer and the like
        raise ServiceUnavailable(
            "the structured-data service is unavailable; try again later",
            internal=f"{url}: {exc}",
        ) from exc
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
