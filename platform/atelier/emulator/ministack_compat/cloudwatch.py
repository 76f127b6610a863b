"""MiniStack's CloudWatch store seen by Atelier's alarm engine.

- ``_evaluate_alarm`` (MiniStack evaluates only when data arrives, over all dimensions) is
  replaced by a wake-up of the engine, which evaluates on the clock.
- ``_put_metric_alarm`` refuses what CloudWatch refuses (statistic, period, ...), with AWS's error,
  and a percentile alarm keeps no ``Statistic`` (MiniStack stores "Average" beside the
  ``ExtendedStatistic``; CloudWatch describes one or the other, and Terraform plans the extra one
  away on every run).
- MiniStack's ``time`` is the runtime clock, so metrics without a timestamp land on it.
"""

from __future__ import annotations

import bisect
import types
from collections.abc import Callable, Iterator
from typing import Any

from ministack.core.responses import request_scope
from ministack.services import cloudwatch as cw

from atelier.emulator import clock
from atelier.emulator.cloudwatch.semantics import Point
from atelier.emulator.cloudwatch.validation import AlarmInputError, check_alarm

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.cloudwatch": (
        "_alarms._data.items",
        "_alarms.get",
        "_metrics._data.get",
        "_evaluate_alarm",
        "_put_metric_alarm",
        "_p",
        "_error",
        "_dims_key",
        "_store_datum",
        "_record_history",
        "_dispatch_alarm_actions",
        "_evaluate_parent_alarms",
        "_history_entries",
        "time",
    ),
    "ministack.core.responses": ("request_scope",),
}
Scope = tuple[str, str]
_original_put_alarm = cw._put_metric_alarm
_original_time = cw.time


def install(on_change: Callable[[], None]) -> None:
    cw._evaluate_alarm = lambda alarm: on_change()
    cw._put_metric_alarm = _checked_put_alarm
    if clock.get_clock().speed != 1.0:
        shim = types.SimpleNamespace(
            **{k: getattr(_original_time, k) for k in dir(_original_time) if not k.startswith("__")}
        )
        shim.time = clock.now
        cw.time = shim


def _checked_put_alarm(params: Any, cbor_data: Any, is_cbor: bool, is_json: bool = False) -> Any:
    structured = is_cbor or is_json

    def get(key: str) -> Any:
        if structured:
            return (cbor_data or {}).get(key)
        return cw._p(params, key) or None

    metrics = get("Metrics") if structured else get("Metrics.member.1.Id")
    extended = get("ExtendedStatistic")
    alarm = {
        "Statistic": get("Statistic") or ("Average" if not extended else None),
        "ExtendedStatistic": extended,
        "Period": get("Period") or 60,
        "EvaluationPeriods": get("EvaluationPeriods") or 1,
        "DatapointsToAlarm": get("DatapointsToAlarm"),
        "TreatMissingData": get("TreatMissingData"),
        "ComparisonOperator": get("ComparisonOperator"),
        "Metrics": metrics,
    }
    try:
        check_alarm(alarm, extended_given=bool(extended))
    except AlarmInputError as exc:
        return cw._error(exc.code, exc.message, 400, use_json=is_json, use_cbor=is_cbor)
    answer = _original_put_alarm(params, cbor_data, is_cbor, is_json)
    stored = cw._alarms.get(get("AlarmName") or "") if extended else None
    if stored is not None:  # a percentile alarm has no Statistic (MiniStack stores "Average",
        stored.pop("Statistic", None)  # and Terraform planned to remove it forever)
    return answer


def alarms() -> Iterator[tuple[Scope, dict[str, Any]]]:
    for (account, region, _name), alarm in list(cw._alarms._data.items()):
        yield (account, region), alarm


class _Sorted:
    """How far a metric's point list (append-only) is in timestamp order, so a query skips the
    old points by bisection instead of reading every point ever stored."""

    def __init__(self, raw: list[dict[str, Any]]) -> None:
        self.raw, self.upto, self.last = raw, 0, float("-inf")

    def start(self, since: float) -> int:
        """The first index that may hold a point at or after ``since``."""
        raw, n = self.raw, len(self.raw)
        while self.upto < n:  # extend the sorted prefix over what was appended since
            ts = float(raw[self.upto]["Timestamp"])
            if ts < self.last:
                break  # a point from the past: everything from here on is read one by one
            self.last = ts
            self.upto += 1
        return bisect.bisect_left(raw, since, 0, self.upto, key=_timestamp)


def _timestamp(pt: dict[str, Any]) -> float:
    return float(pt["Timestamp"])


_sorted: dict[tuple[Any, ...], _Sorted] = {}


def points(
    scope: Scope, namespace: str, metric: str, dims: dict[str, str], since: float
) -> list[Point]:
    """The datapoints of one metric at or after ``since``. Measured under load
    (``docs/benchmarks.md``, "Load"): reading every stored point of the metric at each
    evaluation was the runtime's largest cost once a few thousand requests had run."""
    key = (*scope, (namespace, metric, cw._dims_key(dims)))
    raw = cw._metrics._data.get(key) or []
    index = _sorted.get(key)
    if index is None or index.raw is not raw:
        index = _sorted[key] = _Sorted(raw)
    out = []
    for pt in raw[index.start(since) :]:
        ts = float(pt["Timestamp"])
        if ts < since:
            continue
        sv = pt.get("_stat")
        stats = (
            (
                float(sv.get("SampleCount", 0)),
                float(sv.get("Sum", 0)),
                float(sv.get("Minimum", 0)),
                float(sv.get("Maximum", 0)),
            )
            if sv is not None
            else None
        )
        out.append(Point(ts, float(pt["Value"]), float(pt.get("Count", 1.0)), stats))
    return out


def put_point(
    scope: Scope,
    namespace: str,
    metric: str,
    dims: dict[str, str],
    value: float,
    ts: float,
    unit: str = "None",
) -> None:
    with request_scope(*scope):
        cw._store_datum(namespace, metric, dict(dims), ts, unit, value, None, None, None)


def transition(
    scope: Scope, alarm: dict[str, Any], state: str, reason: str, reason_data: str
) -> None:
    """Set the state, write the history item, fire the new state's actions (SNS topics)."""
    with request_scope(*scope):
        old = alarm["StateValue"]
        alarm["StateValue"] = state
        alarm["StateReason"] = reason
        alarm["StateReasonData"] = reason_data
        alarm["StateUpdatedTimestamp"] = int(clock.now())
        if state == "ALARM":
            alarm["StateTransitionedTimestamp"] = int(clock.now())
        cw._record_history(alarm["AlarmName"], old, state, reason, reason_data=reason_data)
        cw._dispatch_alarm_actions(alarm, old, state, reason)
        cw._evaluate_parent_alarms(alarm)


def history(scope: Scope, alarm_name: str) -> list[dict[str, Any]]:
    with request_scope(*scope):
        return [e for e in cw._history_entries() if e.get("AlarmName") == alarm_name]
