from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from atelier.deploy.clients import Clients


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clients]:
    """Clients against moto's in-process AWS (no endpoint: moto intercepts AWS hostnames)."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield Clients(None, "us-east-1")
