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


@cache
def signing_s3() -> Any:
    """The S3 client that presigns: SigV4 always (every region takes it, newer ones only it),
    virtual-host or path style as the endpoint needs."""
    return boto3.client("s3", config=_CONFIG.merge(Config(signature_version="s3v4")))


def reset() -> None:
    """Forget the cached clients (tests switch between mocked accounts)."""
    client.cache_clear()
    signing_s3.cache_clear()


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (empty for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
