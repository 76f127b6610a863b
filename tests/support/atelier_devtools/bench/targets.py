"""The emulators the runtime benchmark compares: Atelier, plain MiniStack, moto server."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from atelier_devtools.paths import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Target:
    """One emulator process, started from scratch in its own temporary directory."""

    name: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="atelier-bench-")))

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> tuple[list[str], dict[str, str]]:
        bin_dir = Path(sys.executable).parent
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        if self.name == "atelier":
            env.update(
                {
                    "ATELIER_HOME": str(self.home),
                    "ATELIER_IMAGES_DIRS": str(REPO_ROOT / "tests" / "fixtures" / "images"),
                    "ATELIER_LOG_LEVEL": "WARNING",
                }
            )
            return [
                sys.executable,
                "-m",
                "atelier.emulator.server",
                "--port",
                str(self.port),
                "--home",
                str(self.home),
            ], env
        if self.name == "ministack":
            env.update(
                {
                    "GATEWAY_PORT": str(self.port),
                    "BIND_HOST": "127.0.0.1",
                    "STATE_DIR": str(self.home / "state"),
                    "S3_DATA_DIR": str(self.home),
                    "TMPDIR": str(self.home),
                    "LOG_LEVEL": "WARNING",
                }
            )
            return [str(bin_dir / "ministack")], env
        if self.name == "moto":
            return [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)], env
        raise ValueError(self.name)

    def health_path(self) -> str:
        return "/moto-api/" if self.name == "moto" else "/_localstack/health"

    def start(self, timeout: float = 60.0) -> float:
        """Start; return seconds from spawn to the first successful health check."""
        self.home.mkdir(parents=True, exist_ok=True)
        argv, env = self.command()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = self.endpoint_url + self.health_path()
        while time.perf_counter() - t0 < timeout:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(url, timeout=0.5) as resp,
            ):
                if resp.status == 200:
                    return time.perf_counter() - t0
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        shutil.rmtree(self.home, ignore_errors=True)  # a restart makes it again, empty


def client(target: Target, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=target.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, read_timeout=120),
    )
