"""The scaler's evaluation cadence: one datapoint per period, even when its thread runs late."""

from __future__ import annotations

import pytest

from atelier.emulator.application_autoscaling.scaler import following


def test_a_pass_on_time_keeps_the_cadence() -> None:
    assert following(due=10.0, now=10.2, period=1.0) == 11.0


@pytest.mark.parametrize("late", [1.0, 1.5, 7.25])
def test_a_pass_later_than_a_period_makes_the_next_a_whole_period_away(late: float) -> None:
    # catching up period by period would evaluate back to back: readings over a few
    # milliseconds, where one 10 ms CPU tick of an idle task reads as hundreds of percent
    now = 10.0 + late
    assert following(due=10.0, now=now, period=1.0) == pytest.approx(now + 1.0)


def test_passes_late_by_a_fraction_of_a_period_lose_no_datapoint() -> None:
    due, passes = 0.0, 0
    for now in (0.3, 1.3, 2.3, 3.3, 4.3):
        if now >= due:
            due, passes = following(due, now, 1.0), passes + 1
    assert passes == 5 and due == 5.0
