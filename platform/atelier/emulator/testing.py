"""Start real runtimes for tests: ``tests/conftest.py``'s ``runtime`` fixture uses this.

``start_runtime(home)`` starts a runtime on a free port with ``ATELIER_HOME=home`` and
``ATELIER_IMAGES_DIRS=tests/fixtures/images``; the returned :class:`Runtime` has the endpoint,
a boto3 client factory, the agent's status and ``stop()``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
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
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 (the emulator's fixed test key)
            config=Config(retries={"max_attempts": 2}, read_timeout=60),
            **kwargs,
        )

    def status(self) -> dict[str, Any]:
        data = launcher.status(self.endpoint_url)
        assert data is not None, "the runtime does not answer /_atelier/status"
        return data

    def stop(self) -> None:
        if self.settings is not None:
            launcher.stop(self.settings)


def start_runtime(
    home: Path, *, persist: bool = False, port: int | None = None, env: dict[str, str] | None = None
) -> Runtime:
    """Start a private runtime (the caller stops it with ``.stop()``)."""
    settings = Settings(home=home, port=port or free_port(), persist=persist)
    extra = {"ATELIER_IMAGES_DIRS": str(FIXTURE_IMAGES), "ATELIER_STOP_TIMEOUT": "3", **(env or {})}
    proc = launcher.start(settings, env=extra)
    return Runtime(
        endpoint_url=proc.endpoint_url,
        home=home,
        port=settings.port,
        pid=proc.pid,
        region=settings.region,
        settings=settings,
    )
