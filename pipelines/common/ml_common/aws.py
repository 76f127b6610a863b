"""boto3 clients built from the environment alone (``AWS_ENDPOINT_URL`` is honoured by boto3)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

from ml_common.errors import ConfigError

_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=60
)


def client(service: str) -> Any:
    """A client for ``service``; region and endpoint come from the standard AWS variables."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client(service, region_name=region, config=_CONFIG)


def resource(service: str) -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.resource(service, region_name=region, config=_CONFIG)


def require_env(name: str) -> str:
    """The value of a required variable, or a clear error naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required but not set")
    return value


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; ValueError when it is not such a URI."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        raise ValueError(f"s3 URI needs a bucket and a key: {uri!r}")
    return bucket, key
