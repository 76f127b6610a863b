"""How one metric alarm is evaluated, as a pure function of its definition, its datapoints and
the time (AWS CloudWatch User Guide, "Using Amazon CloudWatch alarms" > "Evaluating an alarm" and
"Configuring how CloudWatch alarms treat missing data").

- A datapoint is one statistic over one period; periods are aligned on multiples of ``Period``.
  The newest period evaluated is the current one when it already holds data, otherwise the last
  complete one.
- ``EvaluationPeriods`` (N) and ``DatapointsToAlarm`` (M): ALARM when at least M of the last N
  datapoints breach, OK otherwise.
- CloudWatch reads an *evaluation range* longer than N periods (here N + 2). With at least N real
  datapoints in it, the most recent N real ones are evaluated and ``TreatMissingData`` does not
  matter. With fewer, the missing ones are filled as configured (``breaching``/``notBreaching``),
  as few times as possible; ``missing`` and ``ignore`` do not count them: ALARM when the real
  breaching datapoints reach M, OK when ALARM could not be reached even if every missing one
  breached, otherwise the state stays. With no datapoint at all: ``missing`` -> INSUFFICIENT_DATA,
  ``ignore`` -> the current state, ``breaching`` -> ALARM, ``notBreaching`` -> OK.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

BASIC_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
TREATMENT_NAMES = {
    "missing": "Missing",
    "ignore": "Ignore",
    "breaching": "Breaching",
    "notBreaching": "NonBreaching",
}
OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
    "GreaterThanThreshold": ("greater than", operator.gt),
    "LessThanThreshold": ("less than", operator.lt),
    "LessThanOrEqualToThreshold": ("less than or equal to", operator.le),
}
EXTRA_RANGE_PERIODS = 2
ALARM, OK, INSUFFICIENT = "ALARM", "OK", "INSUFFICIENT_DATA"


class Point(NamedTuple):
    """One published value (seen ``times`` times) or a statistic set (``stats``). A named tuple:
    an evaluation under load builds thousands, and a frozen dataclass costs several times more
    to construct."""

    timestamp: float
    value: float
    times: float = 1.0  # how many times the value was published (CloudWatch's Counts)
    stats: tuple[float, float, float, float] | None = None  # SampleCount, Sum, Minimum, Maximum

    def parts(self) -> tuple[float, float, float, float]:
        if self.stats is not None:
            return self.stats
        return self.times, self.value * self.times, self.value, self.value


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    namespace: str
    metric: str
    statistic: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison: str
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    dimensions: dict[str, str] = field(default_factory=dict)

    @property
    def m(self) -> int:
        return self.datapoints_to_alarm or self.evaluation_periods

    @classmethod
    def from_ministack(cls, alarm: dict[str, Any]) -> AlarmSpec:
        dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []}
        return cls(
            name=alarm["AlarmName"],
            namespace=alarm.get("Namespace") or "",
            metric=alarm.get("MetricName") or "",
            statistic=alarm.get("ExtendedStatistic") or alarm.get("Statistic") or "Average",
            period=int(alarm.get("Period") or 60),
            evaluation_periods=int(alarm.get("EvaluationPeriods") or 1),
            datapoints_to_alarm=int(alarm["DatapointsToAlarm"])
            if alarm.get("DatapointsToAlarm")
            else None,
            threshold=float(alarm.get("Threshold") or 0.0),
            comparison=alarm.get("ComparisonOperator") or "GreaterThanOrEqualToThreshold",
            treat_missing_data=alarm.get("TreatMissingData") or "missing",
            dimensions=dims,
        )


@dataclass(frozen=True)
class Evaluation:
    state: str
    reason: str
    reason_data: str
    datapoints: list[tuple[float, float | None]]  # (period start, value), oldest first


def is_percentile(statistic: str) -> bool:
    if len(statistic) < 2 or statistic[0] not in "pP":
        return False
    try:
        pct = float(statistic[1:])
    except ValueError:
        return False
    return 0.0 <= pct <= 100.0 and math.isfinite(pct)


def statistic_of(points: list[Point], statistic: str) -> float | None:
    """The statistic of one period's points; None when there is none (no data, or a percentile
    of statistic sets, which CloudWatch cannot compute). Only the statistic asked is computed:
    a latency alarm reads thousands of points per evaluation under load."""
    parts = [pp for pp in map(Point.parts, points) if pp[0] > 0]
    if not parts:
        return None
    if statistic == "SampleCount":
        return sum(p[0] for p in parts)
    if statistic == "Sum":
        return sum(p[1] for p in parts)
    if statistic == "Average":
        return sum(p[1] for p in parts) / sum(p[0] for p in parts)
    if statistic == "Minimum":
        return min(p[2] for p in parts)
    if statistic == "Maximum":
        return max(p[3] for p in parts)
    if not is_percentile(statistic):
        raise ValueError(f"unknown statistic {statistic!r}")
    if any(p.stats is not None for p in points):
        return None
    return _percentile([(p.value, p.times) for p in points], float(statistic[1:]))


def _percentile(samples: list[tuple[float, float]], pct: float) -> float:
    """Nearest rank over the weighted values: the smallest value with at least pct % of the
    samples at or below it."""
    ordered = sorted(samples)
    total = sum(w for _, w in ordered)
    rank = max(1.0, math.ceil(pct / 100.0 * total))
    seen = 0.0
    for value, weight in ordered:
        seen += weight
        if seen >= rank:
            return value
    return ordered[-1][0]


def period_values(
    spec: AlarmSpec, points: list[Point], now: float
) -> list[tuple[float, float | None]]:
    """(period start, statistic or None) for the evaluation range, oldest first."""
    p = spec.period
    current = math.floor(now / p) * p
    by_period: dict[float, list[Point]] = {}
    for point in points:
        if point.timestamp <= now:
            by_period.setdefault(math.floor(point.timestamp / p) * p, []).append(point)
    newest = current if current in by_period else current - p
    count = spec.evaluation_periods + EXTRA_RANGE_PERIODS
    starts = [newest - i * p for i in range(count - 1, -1, -1)]
    return [(s, statistic_of(by_period.get(s, []), spec.statistic)) for s in starts]


def evaluate(spec: AlarmSpec, points: list[Point], now: float, current_state: str) -> Evaluation:
    words, breaches = OPERATORS[spec.comparison]
    values = period_values(spec, points, now)
    real = [(s, v) for s, v in values if v is not None]
    n, m = spec.evaluation_periods, spec.m
    recent = real[-n:]
    breaching = sum(1 for _, v in recent if breaches(v, spec.threshold))
    missing = n - len(recent)
    treat = spec.treat_missing_data
    if missing == 0 or treat == "notBreaching":
        state = ALARM if breaching >= m else OK
    elif treat == "breaching":
        state = ALARM if breaching + missing >= m else OK
    elif not recent:
        state = INSUFFICIENT if treat == "missing" else current_state
    elif breaching >= m:
        state = ALARM
    elif len(recent) - breaching > n - m:
        state = OK
    else:
        state = current_state
    reason = _reason(spec, state, current_state, recent, breaching, missing, words)
    data = {
        "version": "1.0",
        "queryDate": _iso(now),
        "startDate": _iso(values[0][0]),
        "statistic": spec.statistic,
        "period": spec.period,
        "recentDatapoints": [v for _, v in recent],
        "threshold": spec.threshold,
        "evaluatedDatapoints": [
            {"timestamp": _iso(s), "value": v, "sampleCount": None} for s, v in reversed(recent)
        ],
    }
    return Evaluation(state, reason, json.dumps(data), values)


def _reason(
    spec: AlarmSpec,
    state: str,
    old: str,
    recent: list[tuple[float, float]],
    breaching: int,
    missing: int,
    words: str,
) -> str:
    if not recent:
        if state == INSUFFICIENT:
            return f"Insufficient Data: {spec.evaluation_periods} datapoints were unknown."
        return (
            f"no datapoints were received for {spec.evaluation_periods} periods and "
            f"{spec.evaluation_periods} missing datapoints were treated as "
            f"[{TREATMENT_NAMES[spec.treat_missing_data]}]."
        )
    shown = ", ".join(f"{v} ({_short(s)})" for s, v in reversed(recent))
    verb = "was" if breaching == 1 else "were"
    head = (
        "Threshold Crossed"
        if state == ALARM
        else "Threshold Crossed"
        if old == ALARM
        else "Evaluated"
    )
    text = (
        f"{head}: {breaching} out of the last {len(recent)} datapoints [{shown}] {verb} {words} "
        f"the threshold ({spec.threshold}) (minimum {spec.m} datapoint"
        f"{'s' if spec.m != 1 else ''} for OK -> ALARM transition)."
    )
    if missing and spec.treat_missing_data in ("breaching", "notBreaching"):
        text += f" {missing} missing datapoints were treated as [{spec.treat_missing_data}]."
    return text


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _short(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%d/%m/%y %H:%M:%S")
