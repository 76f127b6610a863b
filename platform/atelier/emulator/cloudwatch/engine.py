"""Evaluates every metric alarm on the runtime clock and applies its transitions.

Each alarm is evaluated once per ``min(Period, 60)`` seconds of clock time (AWS evaluates
standard alarms every minute, high-resolution ones every period), and soon after new data or a
new definition (MiniStack's own on-write evaluation is replaced by a wake-up of this engine): at
once the first time, then at most once per ``FRESH_GAP_S`` while data keeps arriving. Measured
under load (docs/benchmarks.md, "Load"): with every request's metrics waking the engine, evaluating
every alarm at each wake-up (four times a second) took a fifth of the runtime's interpreter time
at 60 req/s, most of it reading and sorting the latency alarms' thousands of datapoints.
Transitions go through :mod:`atelier.emulator.ministack_compat.cloudwatch`: history item,
then the actions of the new state.
"""

from __future__ import annotations

import logging
import threading
import time
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
FRESH_GAP_S = 1.0  # clock seconds between two evaluations of one alarm caused by new data
# ... and after a step, no evaluation for new data until this many times what the step's
# evaluations cost (real time) has passed: alarms over busy metrics then take a bounded share
# of the runtime (under 2 %), however much data they read. At 20 (5 %) a profile at 100 req/s
# still put 8 % of the runtime's interpreter time in alarm evaluations (docs/benchmarks.md,
# "Load"); new data is then seen within a few seconds instead of one (AWS: a minute)
FRESH_COST_FACTOR = 60.0
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
    def __init__(
        self,
        store: Store,
        now: Callable[[], float],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.now, self.monotonic = store, now, monotonic
        self.dirty = threading.Event()
        self._due: dict[tuple[Scope, str], float] = {}
        self._last: dict[tuple[Scope, str], float] = {}  # last evaluation, any cause
        self._stale: set[tuple[Scope, str]] = set()  # new data not evaluated yet
        self._quiet_until = 0.0  # monotonic: no evaluation for new data before (the cost gap)

    def poke(self) -> None:
        self.dirty.set()

    def step(self) -> int:
        """Evaluate the alarms that are due on the clock, and those with data they have not
        evaluated yet (after a poke) unless they were evaluated less than ``FRESH_GAP_S`` (clock)
        ago, or while the last step's cost gap (``FRESH_COST_FACTOR``) runs: those wait for a
        later step. Returns how many were evaluated."""
        now = self.now()
        poked = self.dirty.is_set()
        self.dirty.clear()
        started = self.monotonic()
        may_refresh = started >= self._quiet_until
        seen, evaluated = set(), 0
        for scope, alarm in self.store.alarms():
            key = (scope, alarm["AlarmName"])
            seen.add(key)
            if poked:
                self._stale.add(key)
            last = self._last.get(key)
            fresh = (
                may_refresh and key in self._stale and (last is None or now - last >= FRESH_GAP_S)
            )
            if not fresh and now < self._due.get(key, 0.0):
                continue
            self._stale.discard(key)
            self._last[key] = now
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
            self._last.pop(key, None)
        self._stale &= seen
        if evaluated:
            finished = self.monotonic()
            self._quiet_until = finished + (finished - started) * FRESH_COST_FACTOR
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
