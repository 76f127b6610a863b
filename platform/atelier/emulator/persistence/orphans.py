"""Task processes that outlived a crashed runtime.

A task's process runs in its own session, so a SIGKILLed runtime leaves it running (writing to
a job that its restored task record already calls STOPPED). Each process is recorded in
``<home>/tasks/pids/<task id>`` as ``pid starttime`` (``/proc/<pid>/stat`` field 22, so a reused
pid is never mistaken for it); the next runtime kills every recorded process group that is still
the same process, before it serves a request.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from pathlib import Path

log = logging.getLogger("atelier.orphans")


def start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


class PidRecords:
    def __init__(self, home: Path) -> None:
        self.dir = home / "tasks" / "pids"

    def record(self, task_id: str, pid: int) -> None:
        began = start_time(pid)
        if began is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / task_id).write_text(f"{pid} {began}\n")

    def forget(self, task_id: str) -> None:
        with contextlib.suppress(OSError):
            (self.dir / task_id).unlink()

    def reap(self) -> list[str]:
        """Kill the recorded process groups that still run; returns the task ids reaped."""
        reaped: list[str] = []
        if not self.dir.is_dir():
            return reaped
        for path in self.dir.iterdir():
            try:
                pid_text, began = path.read_text().split()
                pid = int(pid_text)
            except (OSError, ValueError):
                path.unlink(missing_ok=True)
                continue
            if start_time(pid) == began:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                reaped.append(path.name)
                log.warning(
                    "task %s: killed its process %s left by an earlier runtime", path.name, pid
                )
            path.unlink(missing_ok=True)
        return reaped
