"""The Docker executor (``ATELIER_EXECUTOR=docker``): a task's container runs as a container.

The image is built from the task's Dockerfile (``pipelines/<name>/Dockerfile``, context = the
repository root) with the ``docker`` SDK, once per runtime and Dockerfile (Docker's layer
cache makes a rebuild of unchanged layers cheap), tagged ``atelier-local/<name>:latest``.

The :class:`TaskSpec` the reconciler hands over is made for a local process: ``python`` is the
runtime's interpreter and container paths are repository paths. :func:`container_command` and
:func:`container_env` turn it back into what the container runs: the image's own interpreter,
container paths, the image's ``PATH``/``PYTHONPATH``, plus the task's environment.

Networking: on Linux the container shares the host's network (``network_mode=host``), so
``AWS_ENDPOINT_URL`` and the task's loopback ``HOST`` work unchanged. Elsewhere
(``ATELIER_DOCKER_NETWORK=bridge``, Docker Desktop) the endpoint becomes
``host.docker.internal`` and ports are published on the task's address; the runtime must then
listen on ``0.0.0.0`` (``atelier emulator start --host 0.0.0.0``).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from atelier.config import Settings
from atelier.emulator.ecs.executor import StartError, TaskSpec

NETWORK_ENV = "ATELIER_DOCKER_NETWORK"
# variables taskspec adds for a local process; the image brings its own
_PROCESS_ONLY = ("PATH", "PYTHONPATH", "HOME", "USER", "TMPDIR", "VIRTUAL_ENV", "LANG", "LC_ALL")
_LOOPBACK = ("127.0.0.1", "localhost", "0.0.0.0")  # noqa: S104 (names, not a bind)


class DockerUnavailableError(RuntimeError):
    """ATELIER_EXECUTOR=docker but no Docker engine answers."""


def connect(client: Any | None = None) -> Any:
    """A pinged Docker client, or :class:`DockerUnavailableError` saying what to do."""
    try:
        import docker

        client = client or docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:  # any failure to reach the engine means the same
        where = os.environ.get("DOCKER_HOST", "the default socket")
        raise DockerUnavailableError(
            f"ATELIER_EXECUTOR=docker but no Docker engine is reachable at {where} ({exc}); "
            "start Docker, or use the default process executor (unset ATELIER_EXECUTOR)"
        ) from exc
    return client


def container_command(spec: TaskSpec) -> list[str]:
    """``spec.argv`` as the container runs it (image interpreter, container paths)."""
    back = sorted(
        ((str(host), container) for container, host in spec.workdir_map.items()),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    out: list[str] = []
    for i, arg in enumerate(spec.argv):
        if i == 0 and arg == sys.executable:
            out.append("python")
            continue
        for host, container in back:
            if arg == host:
                arg = container
                break
            if arg.startswith(host + "/"):
                arg = container.rstrip("/") + arg[len(host) :]
                break
        out.append(arg)
    return out


def container_env(spec: TaskSpec, network: str) -> dict[str, str]:
    env = {k: v for k, v in spec.env.items() if k not in _PROCESS_ONLY}
    if network != "host":
        env["HOST"] = "0.0.0.0"  # noqa: S104 (inside the container; published on host_ip)
        if endpoint := env.get("AWS_ENDPOINT_URL"):
            parts = urlsplit(endpoint)
            if parts.hostname in _LOOPBACK:
                netloc = (
                    f"host.docker.internal:{parts.port}" if parts.port else "host.docker.internal"
                )
                env["AWS_ENDPOINT_URL"] = urlunsplit(parts._replace(netloc=netloc))
    return env


def default_network() -> str:
    return os.environ.get(NETWORK_ENV) or ("host" if platform.system() == "Linux" else "bridge")


@dataclass
class DockerHandle:
    spec: TaskSpec
    container: Any
    lines: deque[str] = field(default_factory=deque)
    exit_code: int | None = None
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def pid(self) -> str:
        return str(getattr(self.container, "short_id", "") or self.container.id[:12])


class DockerExecutor:
    """Builds the task's image and runs it as a container (see the module docstring)."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = connect(client)
        self.network = default_network()
        self._built: dict[Path, str] = {}
        self._build_lock = threading.Lock()

    # -- the Executor protocol ----------------------------------------------------------------

    def start(self, spec: TaskSpec) -> DockerHandle:
        if not spec.argv:
            raise StartError("CannotStartContainerError: the container has no command")
        tag = self._image(spec)
        argv = container_command(spec)
        kwargs: dict[str, Any] = {
            "image": tag,
            "entrypoint": argv[:1],
            "command": argv[1:],
            "environment": container_env(spec, self.network),
            "working_dir": spec.workdir,
            "name": f"atelier-{spec.task_arn.rsplit('/', 1)[-1]}"[:63],
            "labels": {"atelier.task_arn": spec.task_arn, "atelier.container": spec.container_name},
            "detach": True,
            "stop_signal": "SIGTERM",
        }
        if self.network == "host":
            kwargs["network_mode"] = "host"
        else:
            kwargs["extra_hosts"] = {"host.docker.internal": "host-gateway"}
            kwargs["ports"] = {
                f"{p.container_port}/{p.protocol}": (spec.host_ip, p.host_port)
                for p in spec.port_mappings
            }
        if spec.gpu:
            from docker.types import DeviceRequest

            kwargs["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
        try:
            container = self.client.containers.run(**kwargs)
        except Exception as exc:  # docker.errors.* all become the ECS reason
            raise StartError(f"CannotStartContainerError: {_short(exc)}") from exc
        handle = DockerHandle(spec, container)
        for target in (self._follow_logs, self._wait):
            thread = threading.Thread(target=target, args=(handle,), daemon=True,
                                      name=f"atelier-docker-{handle.pid}")  # fmt: skip
            handle.threads.append(thread)
            thread.start()
        return handle

    def poll(self, handle: DockerHandle) -> int | None:
        return handle.exit_code

    def stop(self, handle: DockerHandle, timeout: float) -> None:
        """``docker stop`` (SIGTERM, SIGKILL after ``timeout``) on a thread: returns at once."""
        if handle.exit_code is not None:
            return
        threading.Thread(
            target=self._quietly, args=(handle.container.stop,), kwargs={"timeout": int(timeout)},
            daemon=True,
        ).start()  # fmt: skip

    def kill(self, handle: DockerHandle) -> None:
        self._quietly(handle.container.kill)
        for thread in handle.threads:
            thread.join(timeout=5)

    def logs(self, handle: DockerHandle) -> Iterator[str]:
        while handle.lines:
            yield handle.lines.popleft()

    # -- internals ----------------------------------------------------------------------------

    def _image(self, spec: TaskSpec) -> str:
        if spec.dockerfile is None:
            raise StartError(f"CannotPullContainerError: no Dockerfile for image {spec.image}")
        with self._build_lock:
            if spec.dockerfile in self._built:
                return self._built[spec.dockerfile]
            context = spec.build_context or self.settings.repo_root
            tag = f"atelier-local/{spec.dockerfile.parent.name.lower()}:latest"
            try:
                self.client.images.build(
                    path=str(context), dockerfile=str(spec.dockerfile.relative_to(context)),
                    tag=tag, rm=True,
                )  # fmt: skip
            except Exception as exc:  # BuildError, APIError, a bad context path
                raise StartError(
                    f"CannotPullContainerError: building {spec.dockerfile} failed: {_short(exc)}"
                ) from exc
            self._built[spec.dockerfile] = tag
            return tag

    def _follow_logs(self, handle: DockerHandle) -> None:
        log = None
        if handle.spec.log_path:
            handle.spec.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = handle.spec.log_path.open("a", encoding="utf-8")
        pending = ""
        try:
            for chunk in handle.container.logs(stream=True, follow=True):
                pending += chunk.decode("utf-8", errors="replace")
                *complete, pending = pending.split("\n")
                for line in complete:
                    self._emit(handle, line.rstrip("\r"), log)
            if pending:
                self._emit(handle, pending, log)
        except Exception as exc:  # noqa: BLE001 (the engine went away: say so in the logs)
            self._emit(handle, f"[atelier] lost the container's log stream: {_short(exc)}", log)
        finally:
            if log:
                log.close()

    @staticmethod
    def _emit(handle: DockerHandle, line: str, log: Any) -> None:
        handle.lines.append(line)
        if log:
            log.write(line + "\n")
            log.flush()

    def _wait(self, handle: DockerHandle) -> None:
        try:
            result = handle.container.wait()
            code = int(result.get("StatusCode", 1))
        except Exception as exc:  # noqa: BLE001
            handle.lines.append(f"[atelier] lost the container: {_short(exc)}")
            code = 137
        handle.threads[0].join(timeout=5)  # every line is in before the exit is reported
        self._quietly(handle.container.remove, force=True)
        handle.exit_code = code

    @staticmethod
    def _quietly(call: Any, **kwargs: Any) -> None:
        with contextlib.suppress(Exception):
            call(**kwargs)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or getattr(exc, "msg", None) or exc)
    return text.strip().splitlines()[-1][:300] if text.strip() else type(exc).__name__
