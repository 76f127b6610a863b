"""boto3 clients: from the environment (``AWS_ENDPOINT_URL`` is honoured by boto3), or from an
explicit :class:`AwsSession` for callers that talk to a chosen endpoint (the seed) without
changing the process environment.

Application code (a task, a lambda) calls :func:`client` and gets its configuration from its
environment, as on AWS. A tool names its target with ``with using(AwsSession(...)):``; the
session is a context variable, so it holds for that call tree (and the threads it starts with
:func:`in_session`) only.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from ml_common.errors import ConfigError

_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=60
)


T = TypeVar("T")


def _env_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


@dataclass(frozen=True)
class AwsSession:
    """Where clients go: an endpoint (None: boto3's own resolution) and a region; local test
    credentials when the endpoint is a local runtime and the environment has none."""

    endpoint_url: str | None = None
    region: str | None = None

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"region_name": self.region or _env_region(), "config": _CONFIG}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
            if not os.environ.get("AWS_ACCESS_KEY_ID"):
                kwargs |= {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        return kwargs

    def client(self, service: str) -> Any:
        return boto3.client(service, **self._kwargs())

    def resource(self, service: str) -> Any:
        return boto3.resource(service, **self._kwargs())


_ENV = AwsSession()  # the environment's configuration, as on AWS
_SESSION: contextvars.ContextVar[AwsSession | None] = contextvars.ContextVar(
    "ml_common_aws_session", default=None
)


@contextmanager
def using(session: AwsSession) -> Iterator[AwsSession]:
    """Clients made in this block (and in threads started with :func:`in_session`) use it."""
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


def in_session(fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` bound to the current session, for a thread pool (threads do not inherit it)."""
    context = contextvars.copy_context()
    return lambda: context.run(fn)


def client(service: str) -> Any:
    """A client for ``service``: the current session's (default: the environment's)."""
    return (_SESSION.get() or _ENV).client(service)


def resource(service: str) -> Any:
    return (_SESSION.get() or _ENV).resource(service)


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
