"""The task definition's memory as a limit, without cgroups: the agent samples the resident
memory of a task's process tree every pass and kills the task when it exceeds the limit, as
ECS does (exit code 137, ``OutOfMemoryError: Container killed due to memory usage``).

The limit is the container's ``memory`` (its hard limit) or else the task's ``memory`` (MiB).
Sampling every ~200 ms cannot stop a spike between two samples; it stops a task that stays
over its limit, which is what a job that outgrows its task size does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
_PAGE = os.sysconf("SC_PAGE_SIZE")


def limit_mib(task_definition: dict[str, Any], container: dict[str, Any]) -> int | None:
    for value in (container.get("memory"), task_definition.get("memory")):
        try:
            if value is not None and int(value) > 0:
                return int(value)
        except (TypeError, ValueError):
            continue
    return None


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            found.extend(int(c) for c in text.split())
    except OSError:
        pass
    return found


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (0 when it is gone)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(children(p))
    return total
