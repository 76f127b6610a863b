"""How many invocations of each function ran at once, now and over a recent window.

The runtime's Lambda worker pool (``ministack_compat.lambda_warm``) keeps as many warm workers
for a function as the highest concurrency it reached in the last ``window_s`` seconds: a
burst's workers stay for the next one, and a function that has been quiet for a window falls
back to its floor. Kept per second (the highest level reached in that second), so memory is
bounded by the window, whatever the traffic.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class ConcurrencyWindow:
    """In-flight invocations per key, and the highest level reached per second over a window."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._seconds: dict[str, deque[list[int]]] = {}

    def lease(self, key: str) -> int:
        """One more invocation of ``key`` runs; returns how many run now."""
        with self._lock:
            level = self._in_flight.get(key, 0) + 1
            self._in_flight[key] = level
            self._record(key, level)
            return level

    def release(self, key: str) -> None:
        with self._lock:
            level = self._in_flight.get(key, 0) - 1
            if level > 0:
                self._in_flight[key] = level
            else:
                self._in_flight.pop(key, None)

    def at_most(self, key: str, running: int) -> None:
        """No more than ``running`` invocations of ``key`` run (a lease whose release was lost,
        when its worker was dropped on an error, stops counting)."""
        with self._lock:
            if self._in_flight.get(key, 0) > running:
                if running > 0:
                    self._in_flight[key] = running
                else:
                    self._in_flight.pop(key, None)

    def in_flight(self, key: str) -> int:
        with self._lock:
            return self._in_flight.get(key, 0)

    def peak(self, key: str) -> int:
        """The highest concurrency of ``key`` in the window (what runs now included)."""
        with self._lock:
            seconds = self._trimmed(key)
            best = max((level for _, level in seconds), default=0)
            return max(best, self._in_flight.get(key, 0))

    def keys(self) -> list[str]:
        """Every key seen within the window or running now."""
        with self._lock:
            for key in list(self._seconds):
                self._trimmed(key)
            return sorted(set(self._seconds) | set(self._in_flight))

    def _record(self, key: str, level: int) -> None:
        second = int(self._clock())
        seconds = self._seconds.setdefault(key, deque())
        if seconds and seconds[-1][0] == second:
            seconds[-1][1] = max(seconds[-1][1], level)
        else:
            seconds.append([second, level])
        self._trim(key, seconds)

    def _trimmed(self, key: str) -> deque[list[int]]:
        seconds = self._seconds.get(key)
        if seconds is None:
            return deque()
        self._trim(key, seconds)
        return seconds

    def _trim(self, key: str, seconds: deque[list[int]]) -> None:
        oldest = self._clock() - self.window_s
        while seconds and seconds[0][0] + 1 <= oldest:
            seconds.popleft()
        if not seconds:
            self._seconds.pop(key, None)
