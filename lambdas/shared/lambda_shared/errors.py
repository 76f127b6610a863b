"""API errors: each one becomes a JSON body ``{"message", "error", ...}`` with its status.

``error`` is a stable, machine-readable code; ``message`` is for a person. Nothing in a body
comes from a stack trace: an unexpected exception is answered 500 ``internal_error``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered to the caller as-is (status, code, message, extra fields)."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, internal: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.internal = internal  # logged, never answered
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "error": self.code, **self.extra}


class InvalidJson(ApiError):
    """The body cannot be read as JSON (malformed, not UTF-8, duplicate keys, empty)."""

    status = 400
    code = "invalid_json"


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class InvalidLink(ApiError):
    """A link this API refuses outright (scheme, credentials, shape), before any fetch."""

    status = 400
    code = "invalid_link"


class ValidationFailed(ApiError):
    """Well-formed JSON with missing, extra, wrong-typed or invalid fields."""

    status = 422
    code = "validation_error"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class InvalidCredentials(ApiError):
    status = 401
    code = "invalid_credentials"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class UpstreamError(ApiError):
    """The backing service answered something this API cannot pass on."""

    status = 502
    code = "upstream_error"


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"


class UpstreamTimeout(ApiError):
    status = 504
    code = "upstream_timeout"


class ConfigurationError(ApiError):
    """A missing or invalid environment variable: the deployment is wrong, not the request."""

    status = 500
    code = "configuration_error"


class InvalidIdempotencyKey(ApiError):
    status = 400
    code = "invalid_idempotency_key"


class IdempotencyInProgress(ApiError):
    """A concurrent request with the same key has not finished yet."""

    status = 409
    code = "idempotency_in_progress"


class IdempotencyKeyReused(ApiError):
    """The key was already used with a different request body."""

    status = 422
    code = "idempotency_key_reused"
