"""The default executor: a task's container runs as a local process group."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from atelier.emulator.ecs.executor import StartError, TaskSpec


@dataclass
class ProcessHandle:
    spec: TaskSpec
    proc: subprocess.Popen[bytes]
    lines: deque[str] = field(default_factory=deque)
    reader: threading.Thread | None = None
    kill_timer: threading.Timer | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid


def _resolve_executable(argv0: str, env: dict[str, str], cwd: Path) -> str | None:
    if "/" in argv0:
        path = Path(argv0) if Path(argv0).is_absolute() else cwd / argv0
        return str(path) if os.access(path, os.X_OK) and path.is_file() else None
    return shutil.which(argv0, path=env.get("PATH"))


def _pump(handle: ProcessHandle, stream: IO[bytes], log: IO[str] | None) -> None:
    try:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            handle.lines.append(line)
            if log:
                log.write(line + "\n")
                log.flush()
    finally:
        stream.close()
        if log:
            log.close()


class ProcessExecutor:
    """Runs ``spec.argv`` in its own session (process group), output captured line by line."""

    def start(self, spec: TaskSpec) -> ProcessHandle:
        if not spec.argv:
            raise StartError("CannotStartContainerError: the container has no command")
        if not spec.cwd.is_dir():
            raise StartError(f"CannotStartContainerError: working directory {spec.cwd} not found")
        exe = _resolve_executable(spec.argv[0], spec.env, spec.cwd)
        if exe is None:
            raise StartError(
                "CannotStartContainerError: failed to create containerd task: exec: "
                f'"{spec.argv[0]}": executable file not found in $PATH'
            )
        if spec.log_path:
            spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.Popen(
                [exe, *spec.argv[1:]],
                cwd=spec.cwd,
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise StartError(f"CannotStartContainerError: {exc.strerror or exc}") from exc
        handle = ProcessHandle(spec=spec, proc=proc)
        assert proc.stdout is not None
        # opened here, so the file exists as soon as the task runs
        log = spec.log_path.open("a", encoding="utf-8") if spec.log_path else None
        handle.reader = threading.Thread(
            target=_pump,
            args=(handle, proc.stdout, log),
            daemon=True,
            name=f"atelier-logs-{proc.pid}",
        )
        handle.reader.start()
        return handle

    def poll(self, handle: ProcessHandle) -> int | None:
        code = handle.proc.poll()
        if code is None:
            return None
        if handle.kill_timer:
            handle.kill_timer.cancel()
        # The container ends with its main process: nothing it started outlives it.
        self._signal(handle, signal.SIGKILL)
        # Docker reports a signal death as 128 + signal number.
        return 128 - code if code < 0 else code

    def _signal(self, handle: ProcessHandle, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(handle.proc.pid, sig)

    def stop(self, handle: ProcessHandle, timeout: float) -> None:
        """SIGTERM the group now, SIGKILL it after ``timeout`` s; returns at once."""
        if handle.proc.poll() is not None:
            return
        self._signal(handle, signal.SIGTERM)
        if handle.kill_timer is None:
            handle.kill_timer = threading.Timer(
                max(timeout, 0.0), self._signal, args=(handle, signal.SIGKILL)
            )
            handle.kill_timer.daemon = True
            handle.kill_timer.start()

    def logs(self, handle: ProcessHandle) -> Iterator[str]:
        while handle.lines:
            yield handle.lines.popleft()
        if handle.proc.poll() is not None and handle.reader and handle.reader.is_alive():
            handle.reader.join(timeout=1)
            while handle.lines:
                yield handle.lines.popleft()
