"""boto3 clients for the target endpoint, created once and shared across worker threads."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

# Fail fast on a local endpoint: a hung call should surface as an error, not a stall.
_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=5,
    read_timeout=60,
    max_pool_connections=32,
)


# Every service a deploy or destroy talks to.
SERVICES = (
    "ec2",
    "s3",
    "dynamodb",
    "secretsmanager",
    "logs",
    "sns",
    "ecr",
    "ecs",
    "lambda",
    "iam",
    "rds",
    "elbv2",
    "apigateway",
    "cloudwatch",
)


class Clients:
    """One boto3 client per service; botocore clients are thread-safe once created."""

    def __init__(self, endpoint_url: str | None, region: str) -> None:
        """``endpoint_url=None`` means AWS itself (or moto's in-process mock, in unit tests)."""
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 - the local runtime's fixed test key
            region_name=region,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:  # client creation is not thread-safe; use is
            client = self._clients.get(service)
            if client is None:
                client = self._session.client(
                    service,
                    endpoint_url=self.endpoint_url,
                    config=_CONFIG,
                )
                self._clients[service] = client
            return client

    def warm(self, services: tuple[str, ...] = SERVICES) -> None:
        """Create the clients up front: creation is CPU-bound (model loading) and, done lazily
        by many threads at once, it was the largest cost of a repeat deploy."""
        for service in services:
            self(service)


def is_not_found(exc: Exception) -> bool:
    """True for the many spellings AWS uses for "that resource does not exist":
    ``ResourceNotFoundException``, ``InvalidVpcID.NotFound``, ``DBInstanceNotFound``,
    ``NoSuchEntity``, ``NoSuchBucket``, a bare ``404`` from ``HeadBucket``, ..."""
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return "NotFound" in code or "NoSuch" in code or code == "404"
