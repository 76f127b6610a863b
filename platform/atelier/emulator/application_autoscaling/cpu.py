"""A task's CPU time, read from ``/proc`` for its process tree (no cgroups needed).

ECS reports a service's ``CPUUtilization`` as the CPU its tasks use over the CPU their task
definitions reserve (``cpu`` units; 1024 = one vCPU). The runtime measures the same ratio:
the CPU seconds of each task's process tree between two samples, over the wall time between
them times the task's vCPUs.
"""

from __future__ import annotations

import os
from pathlib import Path

from atelier.emulator.ecs.memory import children

_TICKS = os.sysconf("SC_CLK_TCK")


def _own_seconds(pid: int, with_children: bool) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[-1].split()  # after "(comm)", which may hold spaces
    try:
        # utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the comm)
        ticks = int(fields[11]) + int(fields[12])
        if with_children:
            ticks += int(fields[13]) + int(fields[14])
    except (IndexError, ValueError):
        return 0.0
    return ticks / _TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used by ``pid``, its live descendants and the children it has reaped."""
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _own_seconds(p, with_children=True)
        todo.extend(children(p))
    return total


def vcpus(cpu_units: object) -> float:
    """The task's reserved vCPUs from its ``cpu`` units (one vCPU when unset)."""
    try:
        units = float(str(cpu_units))
    except ValueError:
        return 1.0
    return units / 1024 if units > 0 else 1.0


class Sampler:
    """Utilization (%) of each task since its previous sample."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, float]] = {}  # task arn -> (cpu s, wall s)

    def utilization(self, task_arn: str, pid: int, cpu_units: object, wall: float) -> float | None:
        used = tree_cpu_seconds(pid)
        previous = self._last.get(task_arn)
        self._last[task_arn] = (used, wall)
        if previous is None or wall <= previous[1]:
            return None
        return 100.0 * (used - previous[0]) / ((wall - previous[1]) * vcpus(cpu_units))

    def forget_except(self, live: set[str]) -> None:
        for arn in set(self._last) - live:
            del self._last[arn]
