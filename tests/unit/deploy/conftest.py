from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest
from moto import mock_aws

from atelier.deploy.clients import Clients


@cache
def _moto_clients() -> Clients:
    """One Clients for every test: each is a new boto3 session whose clients take ~0.3 s apiece
    to create, and moto intercepts clients made before its mock starts as well."""
    return Clients(None, "us-east-1")


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clients]:
    """Clients against moto's in-process AWS (no endpoint: moto intercepts AWS hostnames); the
    account is new for each test (a fresh mock), the client objects are shared."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield _moto_clients()
