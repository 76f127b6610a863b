"""Start, probe and stop a runtime process (used by the CLI and the test fixture)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atelier.config import Settings


class RuntimeStartError(RuntimeError):
    """The runtime did not become healthy; the message carries its log's tail."""


@dataclass
class RuntimeProcess:
    pid: int
    endpoint_url: str
    log_path: Path


def pid_file(settings: Settings) -> Path:
    return settings.home / f"runtime-{settings.port}.pid"


def log_file(settings: Settings) -> Path:
    return settings.logs_dir / f"runtime-{settings.port}.log"


def health(endpoint_url: str, timeout: float = 0.5) -> dict[str, Any] | None:
    try:
        url = f"{endpoint_url}/_localstack/health"
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (http only)
            data: dict[str, Any] = json.loads(resp.read())
            return data
    except (OSError, urllib.error.URLError, ValueError):
        return None


def status(endpoint_url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        url = f"{endpoint_url}/_atelier/status"
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (http only)
            data: dict[str, Any] = json.loads(resp.read())
            return data
    except (OSError, urllib.error.URLError, ValueError):
        return None


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(
    settings: Settings, env: dict[str, str] | None = None, timeout: float = 30.0
) -> RuntimeProcess:
    """Start the runtime detached from this process; return once it answers health checks."""
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_file(settings)
    argv = [
        sys.executable,
        "-m",
        "atelier.emulator.server",
        "--port",
        str(settings.port),
        "--host",
        settings.host,
        "--home",
        str(settings.home),
    ]
    if settings.persist:
        argv.append("--persist")
    child_env = {**os.environ, **(env or {}), "ATELIER_HOME": str(settings.home)}
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if health(settings.endpoint_url, timeout=0.2) is not None:
            pid_file(settings).write_text(str(proc.pid))
            return RuntimeProcess(proc.pid, settings.endpoint_url, log_path)
        code = proc.poll()
        if code is not None:
            raise RuntimeStartError(
                f"the runtime exited with code {code} before it was healthy:\n{_tail(log_path)}"
            )
        time.sleep(0.02)
    stop_pid(proc.pid)
    raise RuntimeStartError(f"the runtime was not healthy after {timeout:.0f}s:\n{_tail(log_path)}")


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie child of this process is reaped and counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def stop_pid(pid: int, timeout: float = 15.0) -> bool:
    """SIGTERM (the runtime stops its tasks and databases), SIGKILL after ``timeout``."""
    if not pid_alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def read_pid(settings: Settings) -> int | None:
    try:
        return int(pid_file(settings).read_text().strip())
    except (OSError, ValueError):
        return None


def stop(settings: Settings) -> bool:
    pid = read_pid(settings)
    stopped = stop_pid(pid) if pid else False
    with contextlib.suppress(OSError):
        pid_file(settings).unlink()
    return stopped
