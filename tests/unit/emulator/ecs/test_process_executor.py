from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from atelier.emulator.ecs.executor import Executor, StartError, TaskSpec
from atelier.emulator.ecs.process_executor import ProcessExecutor


def spec(tmp_path: Path, argv: list[str], **kw: Any) -> TaskSpec:
    return TaskSpec(
        task_arn="arn:t/1",
        image="atelier/x",
        argv=argv,
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        log_path=tmp_path / "task.log",
        **kw,
    )


def wait_exit(ex: ProcessExecutor, handle: object, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while (code := ex.poll(handle)) is None:  # type: ignore[arg-type]
        assert time.monotonic() < deadline, "process did not exit"
        time.sleep(0.02)
    return code


def test_is_an_executor() -> None:
    assert isinstance(ProcessExecutor(), Executor)


def test_exit_code_output_and_log_file(tmp_path: Path) -> None:
    ex = ProcessExecutor()
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    handle = ex.start(spec(tmp_path, [sys.executable, "-c", code]))
    assert wait_exit(ex, handle) == 3
    lines = list(ex.logs(handle))
    assert sorted(lines) == ["err", "out"]
    assert sorted((tmp_path / "task.log").read_text().split()) == ["err", "out"]


def test_missing_command_is_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(StartError, match=r"^CannotStartContainerError: .*no-such-binary"):
        ProcessExecutor().start(spec(tmp_path, ["no-such-binary"]))


def test_stop_sends_sigterm_then_sigkill_after_timeout(tmp_path: Path) -> None:
    ex = ProcessExecutor()
    ignore_term = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True)\n"
        "while True: time.sleep(0.05)"
    )
    handle = ex.start(spec(tmp_path, [sys.executable, "-c", ignore_term]))
    deadline = time.monotonic() + 10
    while "up" not in (tmp_path / "task.log").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    ex.stop(handle, timeout=0.3)
    assert ex.poll(handle) is None  # SIGTERM ignored: still alive right after stop
    assert wait_exit(ex, handle) == 137
