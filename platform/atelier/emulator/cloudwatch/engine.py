"""Evaluates every metric alarm on the runtime clock and applies its transitions.

Each alarm is evaluated once per ``min(Period, 60)`` seconds of clock time (AWS evaluates
standard alarms every minute, high-resolution ones every period), and at once after new data or
a new definition (MiniStack's own on-write evaluation is replaced by a wake-up of this engine).
Transitions go through :mod:`atelier.emulator.ministack_compat.cloudwatch`: history item,
then the actions of the new state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from atelier.emulator.cloudwatch.semantics import (
    EXTRA_RANGE_PERIODS,
    OPERATORS,
    AlarmSpec,
    Evaluation,
    Point,
    evaluate,
)

log = logging.getLogger("atelier.cloudwatch")
Scope = tuple[str, str]
_counts = {"evaluations": 0, "transitions": 0, "alarms": 0}
_lock = threading.Lock()


def counters() -> dict[str, int]:
    """What the runtime's usage meter reads: alarms defined, evaluations and transitions so far."""
    with _lock:
        return dict(_counts)


def _count(key: str, n: int = 1) -> None:
    with _lock:
        _counts[key] += n


@dataclass
class Store:
    """Where alarms and datapoints live (MiniStack in the runtime, a dict in unit tests)."""

    alarms: Callable[[], Iterable[tuple[Scope, dict[str, Any]]]]
    points: Callable[[Scope, str, str, dict[str, str], float], list[Point]]
    transition: Callable[[Scope, dict[str, Any], str, str, str], None]


class AlarmEngine:
    def __init__(self, store: Store, now: Callable[[], float]) -> None:
        self.store, self.now = store, now
        self.dirty = threading.Event()
        self._due: dict[tuple[Scope, str], float] = {}

    def poke(self) -> None:
        self.dirty.set()

    def step(self) -> int:
        """Evaluate the alarms that are due (all of them after a poke); return how many."""
        now = self.now()
        everything = self.dirty.is_set()
        self.dirty.clear()
        seen, evaluated = set(), 0
        for scope, alarm in self.store.alarms():
            key = (scope, alarm["AlarmName"])
            seen.add(key)
            if not everything and now < self._due.get(key, 0.0):
                continue
            spec = AlarmSpec.from_ministack(alarm)
            every = min(spec.period, 60)
            self._due[key] = (now // every + 1) * every
            if not spec.metric or spec.comparison not in OPERATORS:
                continue  # metric math and anomaly bands: left to MiniStack's stored state
            try:
                result = self.evaluate_one(scope, alarm, spec, now)
            except Exception:
                log.exception("alarm %s: evaluation failed", spec.name)
                continue
            evaluated += 1
            if result.state != alarm.get("StateValue"):
                log.info("alarm %s: %s -> %s", spec.name, alarm.get("StateValue"), result.state)
                self.store.transition(scope, alarm, result.state, result.reason, result.reason_data)
                _count("transitions")
        for key in set(self._due) - seen:
            del self._due[key]
        with _lock:
            _counts["alarms"] = len(seen)
            _counts["evaluations"] += evaluated
        return evaluated

    def evaluate_one(
        self, scope: Scope, alarm: dict[str, Any], spec: AlarmSpec, now: float
    ) -> Evaluation:
        since = now - spec.period * (spec.evaluation_periods + EXTRA_RANGE_PERIODS + 1)
        pts = self.store.points(scope, spec.namespace, spec.metric, spec.dimensions, since)
        return evaluate(spec, pts, now, alarm.get("StateValue") or "INSUFFICIENT_DATA")
