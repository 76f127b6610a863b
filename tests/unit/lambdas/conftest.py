"""Fixtures for the lambdas' unit tests: moto in-process, real API Gateway event shapes.

``lambda_shared`` is installed (lambdas/shared/pyproject.toml), as the layer puts it on
``sys.path`` on AWS; each handler module is loaded from its file under a unique name (they are
all ``handler.py``).
"""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Callable, Iterator

import pytest
from lambda_testkit import (
    AL_FAMILY,
    AUDIENCE,
    CLUSTER,
    IMAGES_FAMILY,
    ISSUER,
    REGION,
    USERNAME,
    Cloud,
    create_cloud,
    offline_getaddrinfo,
    password_hash,
    reset_caches,
)
from moto import mock_aws


@pytest.fixture(autouse=True, scope="module")
def offline_dns() -> Iterator[None]:
    """Host names resolve through lambda_testkit.FAKE_DNS (the link check resolves them)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", offline_getaddrinfo(socket.getaddrinfo))
        yield


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the deployer gives every lambda (docs/contracts.md), minus the
    endpoint: moto intercepts the real AWS endpoints in-process."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "GPU_CAPACITY_PROVIDER", "LINK_ALLOWLIST"):
        monkeypatch.delenv(name, raising=False)
    values = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "atelier-test-fn",
        "ATELIER_ENV": "test",
        "JOBS_TABLE": "atelier-test-jobs",
        "IDEMPOTENCY_TABLE": "atelier-test-idempotency",
        "USERS_TABLE": "atelier-test-users",
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "ECS_CLUSTER": CLUSTER,
        "IMAGES_TASK_DEFINITION": IMAGES_FAMILY,
        "AL_TASK_DEFINITION": AL_FAMILY,
        "SERVICE_URL": "http://127.0.0.1:9",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    return values


@pytest.fixture
def cloud(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    # moto loads ~1300 default AMIs into every fresh EC2 backend (a second per test); none is needed
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        made = create_cloud()
        monkeypatch.setenv("JWT_SECRET_ARN", made.secret_arn)
        monkeypatch.setenv("SUBNETS", made.subnet)
        monkeypatch.setenv("SECURITY_GROUPS", made.security_group)
        reset_caches()
        made.ddb().put_item(
            TableName="atelier-test-users",
            Item={"username": {"S": USERNAME}, "password_hash": {"S": password_hash()}},
        )
        yield made
        reset_caches()


@pytest.fixture
def logs() -> Iterator[Callable[[], str]]:
    """The lambdas' log output as it is written (JSON lines, with the formatter's keys)."""
    from lambda_shared.api import logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield buffer.getvalue
    logger.removeHandler(handler)  # type: ignore[attr-defined]  # powertools forwards it
