"""Target tracking's decision, period by period: proportional scale-out after 3 periods above
the target, scale-in after 15 below 90 % of it, within min/max, cooldowns, several policies."""

from __future__ import annotations

from typing import Any

from atelier.emulator.application_autoscaling.target_tracking import TargetState, decide

CPU: dict[str, Any] = {"TargetValue": 50.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 120}


def run(
    state: TargetState,
    capacity: int,
    values: list[float | None],
    low: int = 1,
    high: int = 4,
    config: dict[str, Any] = CPU,
    start: float = 1000.0,
) -> list[int]:
    """The capacity after each 60 s period."""
    out = []
    for i, value in enumerate(values):
        capacity = decide(state, capacity, low, high, {"cpu": (config, value)}, start + 60 * i)
        out.append(capacity)
    return out


def test_scale_out_after_three_periods_proportionally_and_never_above_max() -> None:
    assert run(TargetState(), 1, [90, 90, 90]) == [1, 1, 2]  # ceil(1 x 90 / 50) = 2
    assert run(TargetState(), 1, [90, 90, 40, 90, 90]) == [1, 1, 1, 1, 1], "a dip resets"
    assert run(TargetState(), 2, [400, 400, 400]) == [2, 2, 4], "16 wanted, max is 4"


def test_scale_in_after_fifteen_periods_below_ninety_percent_and_never_below_min() -> None:
    state = TargetState()
    history = run(state, 4, [10.0] * 15)
    assert history[:14] == [4] * 14 and history[14] == 1  # ceil(4 x 10 / 50) = 1
    assert run(TargetState(), 4, [46.0] * 20) == [4] * 20, "46 % is within 90 % of 50 %"
    assert run(TargetState(), 3, [0.0] * 15, low=2)[-1] == 2


def test_capacity_outside_min_max_moves_in_at_once() -> None:
    assert run(TargetState(), 6, [None]) == [4]
    assert run(TargetState(), 0, [None]) == [1]


def test_no_data_changes_nothing() -> None:
    assert run(TargetState(), 2, [None] * 20) == [2] * 20


def test_cooldowns() -> None:
    state = TargetState()
    # a scale-out at period 3; periods 4-6 breach again but 60 s cooldown has passed by then
    slow = {**CPU, "ScaleOutCooldown": 600}
    assert run(state, 1, [90] * 6, config=slow) == [1, 1, 2, 2, 2, 2], "within 600 s: held"
    state = TargetState()
    assert run(state, 1, [90] * 6) == [1, 1, 2, 2, 2, 4]  # ceil(2 x 90 / 50) = 4
    held = {**CPU, "ScaleInCooldown": 3600}
    state = TargetState()
    state.last_scaling = 1000.0 + 60 * 10  # scaled during the first periods
    assert run(state, 4, [10.0] * 20, config=held)[-1] == 4, "scale-in waits for its cooldown"


def test_disable_scale_in() -> None:
    assert run(TargetState(), 4, [0.0] * 20, config={**CPU, "DisableScaleIn": True}) == [4] * 20


def test_several_policies_any_scales_out_all_must_agree_to_scale_in() -> None:
    state = TargetState()
    mem = {"TargetValue": 50.0, "ScaleOutCooldown": 0, "ScaleInCooldown": 0}
    capacity = 2
    for period in range(15):
        capacity = decide(
            state, capacity, 1, 4, {"cpu": (CPU, 10.0), "mem": (mem, 48.0)}, 1000.0 + 60 * period
        )
    assert capacity == 2, "memory is not low: no scale-in"
    for period in range(3):
        capacity = decide(
            state, capacity, 1, 4, {"cpu": (CPU, 10.0), "mem": (mem, 80.0)}, 3000.0 + 60 * period
        )
    assert capacity == 4, "memory alone scales out (ceil(2 x 80 / 50) = 4)"
