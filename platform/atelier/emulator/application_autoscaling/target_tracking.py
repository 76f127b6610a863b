"""Target tracking for one scalable target, as AWS evaluates it (simplified where noted).

Each policy compares its metric, one value per evaluation period (60 s of the runtime's
clock), with its target. AWS drives this through two CloudWatch alarms per policy: a high alarm
(metric > target for 3 periods) scales out, a low alarm (metric < 90 % of target for 15
periods) scales in. The new capacity is proportional: ``ceil(capacity x metric / target)``,
kept within the target's min and max. With several policies, any policy may scale out, and
scale-in happens only when every policy wants it (to the largest capacity they ask for).
``ScaleOutCooldown`` spaces scale-outs; ``ScaleInCooldown`` holds scale-in after any scaling.
``DisableScaleIn`` keeps a policy from scaling in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OUT_PERIODS = 3
IN_PERIODS = 15
IN_RATIO = 0.9
DEFAULT_COOLDOWN_S = 300.0  # ECS's default for both cooldowns


@dataclass
class PolicyState:
    """Consecutive periods above the target (``high``) and below 90 % of it (``low``)."""

    high: int = 0
    low: int = 0


@dataclass
class TargetState:
    policies: dict[str, PolicyState] = field(default_factory=dict)
    last_out: float = float("-inf")
    last_scaling: float = float("-inf")


def clamp(capacity: int, low: int, high: int) -> int:
    return max(low, min(high, capacity))


def _proportional(capacity: int, metric: float, target: float) -> int:
    if capacity == 0:  # nothing runs: one task to measure from (AWS: min capacity applies)
        return 1 if metric > target else 0
    return math.ceil(round(capacity * metric / target, 6))


def decide(
    state: TargetState,
    capacity: int,
    low: int,
    high: int,
    readings: dict[str, tuple[dict[str, Any], float | None]],
    now: float,
) -> int:
    """The capacity after one evaluation period; ``readings`` maps each target tracking policy
    to (its configuration, this period's metric value or None without data)."""
    wanted = clamp(capacity, low, high)
    if wanted != capacity:
        return wanted
    outs: list[int] = []
    ins: list[int] = []
    blocked_in = False
    for name in list(state.policies):
        if name not in readings:
            del state.policies[name]
    for name, (config, value) in readings.items():
        ps = state.policies.setdefault(name, PolicyState())
        target = float(config["TargetValue"])
        if value is None:  # missing data: the alarms stay where they are (INSUFFICIENT_DATA)
            blocked_in = True
            continue
        ps.high = ps.high + 1 if value > target else 0
        ps.low = ps.low + 1 if value < target * IN_RATIO else 0
        proposed = _proportional(capacity, value, target)
        if ps.high >= OUT_PERIODS and proposed > capacity:
            cooldown = float(config.get("ScaleOutCooldown", DEFAULT_COOLDOWN_S))
            if now - state.last_out >= cooldown:
                outs.append(proposed)
        if ps.low >= IN_PERIODS and proposed < capacity and not config.get("DisableScaleIn"):
            ins.append(max(proposed, 0))
        else:
            blocked_in = True
    if outs:
        new = clamp(max(outs), low, high)
        if new > capacity:
            state.last_out = state.last_scaling = now
            _reset(state)
            return new
    if ins and not blocked_in:
        cooldown = min(
            float(c.get("ScaleInCooldown", DEFAULT_COOLDOWN_S)) for c, _ in readings.values()
        )
        new = clamp(max(ins), low, high)
        if new < capacity and now - state.last_scaling >= cooldown:
            state.last_scaling = now
            _reset(state)
            return new
    return capacity


def _reset(state: TargetState) -> None:
    """After a scaling activity the alarms re-evaluate on the new capacity."""
    for ps in state.policies.values():
        ps.high = ps.low = 0
