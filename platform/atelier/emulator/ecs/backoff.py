"""Restart back-off for service tasks that keep failing (no model, bad config, a crash at boot).

ECS restarts a failing service's tasks with an increasing delay and reports each failure in the
service's events; so does the runtime: a service whose task exits before it became healthy (its
port never answered, or it lived less than ``HEALTHY_AFTER_S``) waits ``BASE_S * 2**(n-1)`` s
(capped at ``CAP_S``) before its next task starts. The replacement task stays PENDING meanwhile;
nothing waits for it, so a deploy is never held up by a service that cannot be healthy yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BASE_S = 1.0
CAP_S = 30.0
HEALTHY_AFTER_S = 10.0
Key = tuple[str, str]  # (clusterArn, group)


@dataclass
class _State:
    failures: int = 0
    next_start: float = 0.0
    reason: str = ""


class ServiceBackoff:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._states: dict[Key, _State] = {}

    def may_start(self, key: Key) -> bool:
        state = self._states.get(key)
        return state is None or self.clock() >= state.next_start

    def failed(self, key: Key, reason: str) -> float:
        """Record a failure; returns the delay before the next start."""
        state = self._states.setdefault(key, _State())
        state.failures += 1
        delay = float(min(BASE_S * 2 ** (state.failures - 1), CAP_S))
        state.next_start, state.reason = self.clock() + delay, reason
        return delay

    def healthy(self, key: Key) -> None:
        self._states.pop(key, None)

    def describe(self, key: Key) -> dict[str, Any]:
        state = self._states.get(key)
        if state is None:
            return {"health": "healthy"}
        return {
            "health": "unhealthy",
            "failures": state.failures,
            "next_start_in_s": round(max(state.next_start - self.clock(), 0.0), 1),
            "reason": state.reason,
        }
