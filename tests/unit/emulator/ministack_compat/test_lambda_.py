"""MiniStack's Lambda worker fixes: the log drain after each invocation, and the worker script's
deferred botocore hook. The drain runs against a real pipe read by a thread, as MiniStack's
``Worker._read_stderr`` reads a worker's stderr."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pytest

from atelier.emulator.ministack_compat import lambda_ as lambda_tuning


def test_fixes_apply_and_the_worker_script_still_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    from ministack.core import lambda_runtime

    monkeypatch.setattr(
        lambda_runtime, "_PYTHON_WORKER_SCRIPT", lambda_runtime._PYTHON_WORKER_SCRIPT
    )
    monkeypatch.setattr(
        lambda_runtime.Worker, "_drain_stderr_bounded", lambda_runtime.Worker._drain_stderr_bounded
    )
    assert lambda_tuning.apply() == ["fast-log-drain", "lazy-botocore-depth-hook"]
    script = lambda_runtime._PYTHON_WORKER_SCRIPT
    compile(script, "_worker.py", "exec")
    assert "_ms_install_invoke_depth_lazy()\n" in script
    assert lambda_tuning.EAGER_CALL not in script.split("def run():", 1)[1]


@dataclass
class _Proc:
    stderr: IO[str]


@dataclass
class _Worker:
    """What the drain reads of MiniStack's ``Worker``: the process's stderr pipe and the queue
    its reader thread fills."""

    _proc: _Proc
    _stderr_queue: queue.Queue[str] = field(default_factory=queue.Queue)


@pytest.fixture
def worker() -> Iterator[tuple[_Worker, IO[str], threading.Event]]:
    """A worker whose reader thread starts reading once ``go`` is set."""
    read_fd, write_fd = os.pipe()
    reader, writer = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w", buffering=1)
    fake = _Worker(_Proc(reader))
    go = threading.Event()

    def read() -> None:
        go.wait(5)
        for line in reader:
            fake._stderr_queue.put(line.rstrip("\n"))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    yield fake, writer, go
    go.set()
    writer.close()
    thread.join(2)
    reader.close()


def test_the_drain_waits_for_lines_still_in_the_pipe(worker: Any) -> None:
    """The handler's lines are in the pipe before its response; the reader thread has not read
    them yet (it starts 20 ms late): the drain returns them all."""
    fake, writer, go = worker
    writer.write("first\nsecond\n")
    threading.Timer(0.02, go.set).start()
    assert lambda_tuning.drain_worker_stderr(fake) == "first\nsecond"


def test_a_quiet_drain_waits_once_and_looks_at_the_pipe_once(
    worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that logged nothing: one wait of ``QUIET_S`` on the queue and one look at the
    pipe, not a poll (every wake-up of the drain's thread takes the runtime's interpreter
    lock, under load as many times as invocations)."""
    fake, _, go = worker
    go.set()
    looks: list[int] = []
    pending = lambda_tuning.pipe_pending

    def counted(fd: int) -> int:
        looks.append(fd)
        return pending(fd)

    monkeypatch.setattr(lambda_tuning, "pipe_pending", counted)
    started = time.monotonic()
    assert lambda_tuning.drain_worker_stderr(fake) == ""
    took = time.monotonic() - started
    assert len(looks) == 1, f"the drain looked at the pipe {len(looks)} times"
    assert took < 0.2, f"a quiet drain took {took * 1000:.0f} ms"
