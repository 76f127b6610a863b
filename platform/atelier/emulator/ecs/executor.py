"""The executor interface: how one ECS task's container becomes something that runs.

The ECS reconciler builds a :class:`TaskSpec` from MiniStack's task state, the task definition
and the image's Dockerfile, then hands it to an :class:`Executor`. ``ProcessExecutor`` (local
processes, the default) and ``DockerExecutor`` (containers, ``ATELIER_EXECUTOR=docker``)
implement it; the reconciler never knows which one runs the task.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


class StartError(Exception):
    """The task could not start. ``reason`` is the ECS stoppedReason shown to users."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    host_port: int
    protocol: str = "tcp"


@dataclass
class TaskSpec:
    """Everything an executor needs to run one essential container of one task."""

    task_arn: str
    image: str
    argv: list[str]
    env: dict[str, str]
    # working directory on the host (process executor) ...
    cwd: Path
    # ... and inside the container (docker executor): the Dockerfile's WORKDIR
    workdir: str = "/"
    # container path -> host path, from the Dockerfile's COPY instructions
    workdir_map: dict[str, Path] = field(default_factory=dict)
    gpu: bool = False
    # the task's own loopback address (its awsvpc private IP), also given as $HOST
    host_ip: str = "127.0.0.1"
    port_mappings: list[PortMapping] = field(default_factory=list)
    # seconds between SIGTERM and SIGKILL on StopTask
    stop_timeout: float = 30.0
    container_name: str = "main"
    # the Dockerfile (docker executor builds from it, context = repo root)
    dockerfile: Path | None = None
    build_context: Path | None = None
    log_path: Path | None = None


@runtime_checkable
class Executor(Protocol):
    """Runs containers. ``start`` raises :class:`StartError` with an ECS-style reason."""

    def start(self, spec: TaskSpec) -> Any:
        """Start the container; return an opaque handle."""
        ...

    def poll(self, handle: Any) -> int | None:
        """The exit code once the container has exited, else None."""
        ...

    def stop(self, handle: Any, timeout: float) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds. Must not block the caller long."""
        ...

    def logs(self, handle: Any) -> Iterator[str]:
        """New output lines (stdout and stderr) since the previous call."""
        ...
