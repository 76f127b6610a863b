"""Plain boto3 clients, one per service per process (they honour ``AWS_ENDPOINT_URL``)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Fail fast inside a 10-15 s Lambda budget rather than retrying for longer than the API waits.
_CONFIG = Config(connect_timeout=3, read_timeout=8, retries={"max_attempts": 3, "mode": "standard"})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)


def reset() -> None:
    """Forget the cached clients (tests switch between mocked accounts)."""
    client.cache_clear()


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (empty for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
