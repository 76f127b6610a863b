"""The concurrency a function reached, per second over a window (``lambda_.concurrency``)."""

from __future__ import annotations

import pytest

from atelier.emulator.lambda_.concurrency import ConcurrencyWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_peak_is_the_highest_level_reached_in_the_window() -> None:
    clock = Clock()
    window = ConcurrencyWindow(60, clock)
    for _ in range(5):
        window.lease("f")
    for _ in range(5):
        window.release("f")
    assert window.in_flight("f") == 0
    clock.now += 59
    window.lease("f")
    assert window.peak("f") == 5  # 59 s ago: still remembered
    window.release("f")
    clock.now += 2
    assert window.peak("f") == 1  # the burst is older than the window; the single one is not


def test_what_runs_now_counts_even_when_it_started_before_the_window() -> None:
    clock = Clock()
    window = ConcurrencyWindow(10, clock)
    window.lease("f")
    window.lease("f")
    clock.now += 100
    assert window.peak("f") == 2
    window.release("f")
    window.release("f")
    assert window.peak("f") == 0
    assert window.keys() == []  # nothing kept for a quiet key


def test_keys_are_separate_and_memory_is_bounded_by_the_window() -> None:
    clock = Clock()
    window = ConcurrencyWindow(5, clock)
    for _ in range(1000):
        window.lease("a")
        window.release("a")
        clock.now += 0.1  # 100 s of traffic: 100 seconds seen, 5 kept
    window.lease("b")
    assert window.peak("a") == 1 and window.peak("b") == 1
    assert len(window._seconds["a"]) <= 6
    assert window.keys() == ["a", "b"]


def test_a_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ConcurrencyWindow(0)
