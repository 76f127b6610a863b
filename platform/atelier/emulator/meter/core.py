"""The meter's counters (thread-safe): tasks, Lambda, API Gateway, S3, DynamoDB, logs, alarms."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Task:
    family: str
    vcpu: float
    memory_gb: float
    gpu: int
    started: float
    stopped: float | None = None
    billed_seconds: float | None = None  # fixed by the replay clock, else wall time x clock


@dataclass
class Meter:
    started: float = field(default_factory=time.time)
    clock: float = 1.0  # simulated seconds per real second (replay); 1 = real time
    billed_task_seconds: dict[str, float] = field(default_factory=dict)
    tasks: dict[str, _Task] = field(default_factory=dict)
    counters: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    lambdas: dict[str, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0, 128.0])
    )
    alarms: set[str] = field(default_factory=set)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- hooks ---------------------------------------------------------------------------

    def task_started(self, arn: str, td: dict[str, Any], device: str | None = None) -> None:
        """A task's process started: its definition's family, cpu and memory; GPU if a device."""
        family = str(td.get("family", ""))
        vcpu = float(td.get("cpu") or 256) / 1024
        mem = float(td.get("memory") or 512) / 1024
        gpu = int(device is not None)
        with self._lock:
            if arn not in self.tasks:
                billed = self.billed_task_seconds.get(family)
                self.tasks[arn] = _Task(family, vcpu, mem, gpu, time.time(), None, billed)

    def task_stopped(self, arn: str) -> None:
        with self._lock:
            task = self.tasks.get(arn)
            if task is not None and task.stopped is None:
                task.stopped = time.time()

    def lambda_started(self, function: str) -> None:
        with self._lock:
            self.in_flight[function] += 1

    def lambda_invoked(self, function: str, duration_ms: float, memory_mb: float = 128) -> None:
        with self._lock:
            if self.in_flight.get(function, 0) > 0:
                self.in_flight[function] -= 1
            entry = self.lambdas[function]
            entry[0] += 1
            entry[1] += max(duration_ms, 1.0)
            entry[2] = float(memory_mb)

    def count(self, key: str, amount: float = 1.0) -> None:
        with self._lock:
            self.counters[key] += amount

    def alarm_defined(self, name: str) -> None:
        with self._lock:
            self.alarms.add(name)

    # -- control -------------------------------------------------------------------------

    def configure(self, body: dict[str, Any]) -> None:
        with self._lock:
            if body.get("reset"):
                self.started = time.time()
                self.tasks = {a: t for a, t in self.tasks.items() if t.stopped is None}
                for t in self.tasks.values():
                    t.started = self.started
                self.counters = defaultdict(float)
                self.lambdas = defaultdict(lambda: [0.0, 0.0, 128.0])
            if "clock" in body:
                self.clock = max(float(body["clock"]), 1e-6)
            if "billed_task_seconds" in body:
                self.billed_task_seconds = {
                    str(k): float(v) for k, v in dict(body["billed_task_seconds"]).items()
                }

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            tasks = []
            for arn, t in self.tasks.items():
                wall = (t.stopped or now) - max(t.started, self.started)
                billed = t.billed_seconds if t.billed_seconds is not None else wall * self.clock
                tasks.append(
                    {
                        "arn": arn,
                        "family": t.family,
                        "vcpu": t.vcpu,
                        "memory_gb": t.memory_gb,
                        "gpu": t.gpu,
                        "running": t.stopped is None,
                        "wall_seconds": round(wall, 3),
                        "billed_seconds": round(max(billed, 60.0 if not t.gpu else billed), 3),
                    }
                )
            return {
                "since": self.started,
                "elapsed_seconds": round(now - self.started, 3),
                "simulated_seconds": round((now - self.started) * self.clock, 3),
                "clock": self.clock,
                "tasks": tasks,
                "lambda": {
                    k: {"invocations": v[0], "duration_ms": round(v[1], 1), "memory_mb": v[2]}
                    for k, v in self.lambdas.items()
                },
                "counters": {
                    k: (math.floor(v) if float(v).is_integer() else v)
                    for k, v in self.counters.items()
                },
                "alarms": sorted(self.alarms),
                "in_flight": {k: n for k, n in self.in_flight.items() if n > 0},
            }


METER = Meter()
