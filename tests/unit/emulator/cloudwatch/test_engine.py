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
    engine = AlarmEngine(fs.store(), clock.now, monotonic=lambda: 0.0)
    assert engine.step() == 100
    clock.advance(1)
    assert engine.step() == 0  # idle: nothing due within the minute
    engine.poke()
    assert engine.step() == 100


def test_new_data_is_evaluated_at_most_once_per_gap_and_never_dropped() -> None:
    """Under load every request pokes the engine: an alarm evaluated less than FRESH_GAP_S ago
    waits, and is evaluated at the first step after the gap even with no further poke."""
    from atelier.emulator.cloudwatch.engine import FRESH_GAP_S

    clock = ManualClock(1_700_000_040.0)
    fs = FakeStore()
    fs.alarms["a"] = _alarm("a")
    engine = AlarmEngine(fs.store(), clock.now, monotonic=lambda: 0.0)  # evaluations cost 0
    assert engine.step() == 1  # a new alarm: at once
    assert fs.alarms["a"]["StateValue"] == "OK"
    fs.put("Failures", 5.0, clock.now())
    engine.poke()
    clock.advance(FRESH_GAP_S / 4)
    assert engine.step() == 0  # evaluated a moment ago: waits
    for _ in range(3):
        engine.poke()
        assert engine.step() == 0  # more pokes within the gap change nothing
    clock.advance(FRESH_GAP_S)
    assert engine.step() == 1  # no poke since, but its new data was not evaluated yet
    assert fs.alarms["a"]["StateValue"] == "ALARM"
    clock.advance(FRESH_GAP_S)
    assert engine.step() == 0  # nothing new and not due on the clock


def test_new_data_waits_in_proportion_to_what_the_last_evaluations_cost() -> None:
    """A step whose evaluations cost 0.1 s of real time is followed by no evaluation for new
    data before FRESH_COST_FACTOR times that has passed, however far the runtime clock moves."""
    from atelier.emulator.cloudwatch.engine import FRESH_COST_FACTOR

    clock = ManualClock(1_700_000_040.0)
    real = [0.0]
    fs = FakeStore()
    fs.alarms["a"] = _alarm("a")
    store = fs.store()
    read = store.points

    def slow_points(*args: Any) -> list[Point]:
        real[0] += 0.1  # what reading this alarm's data costs
        return read(*args)

    engine = AlarmEngine(Store(store.alarms, slow_points, store.transition), clock.now,
                         monotonic=lambda: real[0])  # fmt: skip
    assert engine.step() == 1
    quiet = 0.1 * FRESH_COST_FACTOR
    fs.put("Failures", 5.0, clock.now())
    engine.poke()
    clock.advance(5)  # past FRESH_GAP_S on the clock
    real[0] += quiet * 0.9
    assert engine.step() == 0
    real[0] += quiet * 0.2
    assert engine.step() == 1
    assert fs.alarms["a"]["StateValue"] == "ALARM"


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
