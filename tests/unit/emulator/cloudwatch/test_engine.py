"""The alarm engine on a hand-driven clock: hours of history in milliseconds, dimensions,
one transition (history + actions) per state change."""

from __future__ import annotations

from typing import Any

from atelier.emulator.clock import ManualClock
from atelier.emulator.cloudwatch.engine import AlarmEngine, Store, counters
from atelier.emulator.cloudwatch.semantics import Point

Scope = tuple[str, str]
SCOPE = ("000000000000", "us-east-1")


class FakeStore:
    def __init__(self) -> None:
        self.alarms: dict[str, dict[str, Any]] = {}
        self.data: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Point]] = {}
        self.transitions: list[tuple[str, str, str]] = []

    def put(self, metric: str, value: float, ts: float, **dims: str) -> None:
        self.data.setdefault(("NS", metric, tuple(sorted(dims.items()))), []).append(
            Point(ts, value)
        )

    def store(self) -> Store:
        def points(
            scope: Scope, ns: str, metric: str, dims: dict[str, str], since: float
        ) -> list[Point]:
            return [
                p
                for p in self.data.get((ns, metric, tuple(sorted(dims.items()))), [])
                if p.timestamp >= since
            ]

        def transition(
            scope: Scope, alarm: dict[str, Any], state: str, reason: str, data: str
        ) -> None:
            self.transitions.append((alarm["AlarmName"], alarm["StateValue"], state))
            alarm["StateValue"] = state

        return Store(lambda: [(SCOPE, a) for a in self.alarms.values()], points, transition)


def _alarm(name: str, **kw: Any) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "Namespace": "NS",
        "MetricName": "Failures",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "StateValue": "INSUFFICIENT_DATA",
        **kw,
    }


def test_three_hours_of_minutes_with_one_outage() -> None:
    clock = ManualClock(1_700_000_040.0)
    fs = FakeStore()
    fs.alarms["canary"] = _alarm("canary")
    engine = AlarmEngine(fs.store(), clock.now)
    for minute in range(180):
        failing = 60 <= minute < 65
        fs.put("Failures", 1.0 if failing else 0.0, clock.now() + 1)
        clock.advance(60)
        engine.step()
    assert fs.transitions == [
        ("canary", "INSUFFICIENT_DATA", "OK"),
        ("canary", "OK", "ALARM"),
        ("canary", "ALARM", "OK"),
    ]
    assert counters()["transitions"] >= 3


def test_dimensions_select_the_metric() -> None:
    """A metric is its name plus its exact dimension set: other routes do not count."""
    clock = ManualClock(1_700_000_040.0)
    fs = FakeStore()
    fs.alarms["r"] = _alarm("r", Dimensions=[{"Name": "Route", "Value": "/a"}])
    engine = AlarmEngine(fs.store(), clock.now)
    fs.put("Failures", 5.0, clock.now() + 1, Route="/b")
    fs.put("Failures", 5.0, clock.now() + 1)
    clock.advance(61)
    engine.step()
    assert fs.alarms["r"]["StateValue"] == "OK"
    fs.put("Failures", 5.0, clock.now() + 1, Route="/a")
    clock.advance(60)
    engine.step()
    assert fs.alarms["r"]["StateValue"] == "ALARM"


def test_not_due_alarms_are_not_reevaluated_until_poked() -> None:
    clock = ManualClock(1_700_000_040.0)
    fs = FakeStore()
    fs.alarms.update({f"a{i}": _alarm(f"a{i}") for i in range(100)})
    engine = AlarmEngine(fs.store(), clock.now)
    assert engine.step() == 100
    clock.advance(1)
    assert engine.step() == 0  # idle: nothing due within the minute
    engine.poke()
    assert engine.step() == 100


def test_usage_counters_for_the_meter() -> None:
    from atelier.emulator.cloudwatch import usage

    got = usage()
    for key in (
        "alarms",
        "evaluations",
        "transitions",
        "filter_datapoints",
        "emf_datapoints",
        "sns_delivered",
        "sns_failed",
        "sns_emails",
        "ecs_runs",
    ):
        assert isinstance(got[key], int), key
