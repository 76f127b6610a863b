"""Shared fixtures. ``runtime``: one real Atelier runtime for the whole test session.

Use it in integration tests::

    @pytest.mark.integration
    def test_something(runtime):
        s3 = runtime.client("s3")            # boto3 client bound to the runtime
        s3.create_bucket(Bucket="b")
        runtime.endpoint_url                 # "http://127.0.0.1:<free port>"

The runtime runs in its own process with ``ATELIER_HOME`` in a temporary directory and
``ATELIER_IMAGES_DIRS=tests/fixtures/images`` (so ECS images ``atelier/<name>`` resolve to
test Dockerfiles before ``pipelines/<name>``). It is stopped at the end of the session, also
when tests fail. Tests must not stop it; use :func:`start_runtime` for a private one.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from atelier.config import REPO_ROOT, Settings
from atelier.emulator import launcher

FIXTURE_IMAGES = REPO_ROOT / "tests" / "fixtures" / "images"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Runtime:
    """A started runtime: its endpoint, home and a boto3 client factory."""

    endpoint_url: str
    home: Path
    port: int
    pid: int
    region: str = "us-east-1"
    settings: Settings | None = field(default=None, repr=False)

    def client(self, service: str, **kwargs: Any) -> Any:
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=self.region,
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 2}, read_timeout=60), **kwargs,
        )

    def status(self) -> dict[str, Any]:
        data = launcher.status(self.endpoint_url)
        assert data is not None, "the runtime does not answer /_atelier/status"
        return data

    def stop(self) -> None:
        if self.settings is not None:
            launcher.stop(self.settings)


def start_runtime(home: Path, *, persist: bool = False, port: int | None = None,
                  env: dict[str, str] | None = None) -> Runtime:
    """Start a private runtime (the caller stops it with ``.stop()``)."""
    settings = Settings(home=home, port=port or free_port(), persist=persist)
    extra = {"ATELIER_IMAGES_DIRS": str(FIXTURE_IMAGES), "ATELIER_STOP_TIMEOUT": "3",
             **(env or {})}
    proc = launcher.start(settings, env=extra)
    return Runtime(endpoint_url=proc.endpoint_url, home=home, port=settings.port,
                   pid=proc.pid, region=settings.region, settings=settings)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The session's runtime (see the module docstring)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "test")
    rt = start_runtime(tmp_path_factory.mktemp("atelier-home"))
    try:
        yield rt
    finally:
        rt.stop()
