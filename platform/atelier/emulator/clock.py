"""The runtime's clock: real by default, faster with ``ATELIER_CLOCK_SPEED`` (tests cover hours of
alarm history in seconds), or driven by hand (:class:`ManualClock`) in unit tests.

Everything time-dependent in the runtime's CloudWatch, Logs and SNS behaviour reads
:func:`now` and sleeps with :func:`sleep`, never ``time.time`` directly.
"""

from __future__ import annotations

import os
import threading
import time


class Clock:
    """``now()`` = start + (real elapsed) x speed. Speed 1 is the wall clock itself."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be > 0, got {speed}")
        self.speed = float(speed)
        self._real0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        if self.speed == 1.0:
            return time.time()
        return self._real0 + (time.monotonic() - self._mono0) * self.speed

    def real_seconds(self, clock_seconds: float) -> float:
        """How long ``clock_seconds`` of runtime time last on the wall clock."""
        return clock_seconds / self.speed

    def sleep(self, clock_seconds: float, stop: threading.Event | None = None) -> bool:
        """Sleep ``clock_seconds`` of runtime time; True when ``stop`` was set meanwhile."""
        real = max(0.0, self.real_seconds(clock_seconds))
        if stop is None:
            time.sleep(real)
            return False
        return stop.wait(real)


class ManualClock(Clock):
    """A clock that moves only when told: ``advance(seconds)``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        super().__init__(1.0)
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def sleep(self, clock_seconds: float, stop: threading.Event | None = None) -> bool:
        self.advance(clock_seconds)
        return bool(stop and stop.is_set())


_clock: Clock | None = None


def get_clock() -> Clock:
    global _clock
    if _clock is None:
        _clock = Clock(float(os.environ.get("ATELIER_CLOCK_SPEED", "1") or 1))
    return _clock


def set_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


def now() -> float:
    return get_clock().now()
