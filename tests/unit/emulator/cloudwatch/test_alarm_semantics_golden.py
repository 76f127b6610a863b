"""Golden cases of CloudWatch alarm semantics, each tied to the AWS documentation it checks.

Docs (CloudWatch User Guide): [EVAL] "Evaluating an alarm" (Period, EvaluationPeriods N,
DatapointsToAlarm M: "M out of N"); [MISSING] "Configuring how CloudWatch alarms treat missing
data" and its section "How alarm state is evaluated when data is missing" (evaluation range longer
than N; with >= N real datapoints the treatment is not used; otherwise missing ones are filled
as few times as possible); [STATS] "CloudWatch statistics definitions" (SampleCount, Sum,
Average, Minimum, Maximum, percentiles; percentiles are unavailable for statistic sets);
[API] PutMetricAlarm "ComparisonOperator" and "TreatMissingData" (the four values, default
``missing``; ``ignore``: "the current alarm state is maintained").

Sequences read oldest period first; ``X`` breaches (value 10 vs threshold 5), ``0`` does not
(value 1), ``-`` is a period without data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from atelier.emulator.cloudwatch.semantics import AlarmSpec, Point, evaluate, statistic_of

T0 = 1_700_000_040.0 // 60 * 60
VALUES = {"X": 10.0, "0": 1.0}


@dataclass(frozen=True)
class Case:
    id: str
    doc: str
    seq: str
    expected: str
    n: int = 3
    m: int | None = None
    treat: str = "missing"
    start: str = "INSUFFICIENT_DATA"
    extra: dict[str, Any] = field(default_factory=dict)


def _points(seq: str) -> list[Point]:
    return [
        Point(T0 + i * 60 + 1, VALUES[c]) for i, c in enumerate(seq.replace(" ", "")) if c != "-"
    ]


def _spec(case: Case) -> AlarmSpec:
    base: dict[str, Any] = dict(
        name="a",
        namespace="N",
        metric="M",
        statistic="Maximum",
        period=60,
        evaluation_periods=case.n,
        datapoints_to_alarm=case.m,
        threshold=5.0,
        comparison="GreaterThanOrEqualToThreshold",
        treat_missing_data=case.treat,
    )
    base.update(case.extra)
    return AlarmSpec(**base)


CASES = [
    Case("3of3-all-breach", "[EVAL] M of N: 3 of the last 3 breach -> ALARM", "XXX", "ALARM"),
    Case("3of3-two-breach", "[EVAL] fewer than M breaching -> OK", "0XX", "OK"),
    Case("2of3-not-consecutive", "[EVAL] M out of N need not be consecutive", "X0X", "ALARM", m=2),
    Case("2of3-one", "[EVAL] 1 breaching of 3 with M=2 -> OK", "00X", "OK", m=2),
    Case("1of5-any", "[EVAL] DatapointsToAlarm 1 of 5", "0000X", "ALARM", n=5, m=1),
    Case("only-last-n", "[EVAL] only the last N datapoints count", "XXX000", "OK"),
    Case(
        "alarm-back-to-ok",
        "[EVAL] ALARM -> OK when fewer than M breach",
        "XX0",
        "OK",
        start="ALARM",
    ),
    Case(
        "all-missing-missing",
        "[MISSING] missing: no data at all -> INSUFFICIENT_DATA",
        "---",
        "INSUFFICIENT_DATA",
        start="OK",
    ),
    Case(
        "all-missing-ignore-alarm",
        "[MISSING] ignore: current state kept (ALARM)",
        "-----",
        "ALARM",
        treat="ignore",
        start="ALARM",
    ),
    Case(
        "all-missing-ignore-ok",
        "[MISSING] ignore: current state kept (OK)",
        "-----",
        "OK",
        treat="ignore",
        start="OK",
    ),
    Case(
        "all-missing-breaching",
        "[MISSING] breaching: missing points breach -> ALARM",
        "-----",
        "ALARM",
        treat="breaching",
        start="OK",
    ),
    Case(
        "all-missing-notbreaching",
        "[MISSING] notBreaching: within threshold -> OK",
        "-----",
        "OK",
        treat="notBreaching",
        start="ALARM",
    ),
    Case(
        "0-X-X-missing",
        "[MISSING] 3 real points in the range: treatment unused",
        "0-X-X",
        "OK",
        treat="missing",
    ),
    Case(
        "0-X-X-ignore",
        "[MISSING] 3 real points in the range: treatment unused",
        "0-X-X",
        "OK",
        treat="ignore",
    ),
    Case(
        "0-X-X-breaching",
        "[MISSING] 3 real points: breaching fill not used",
        "0-X-X",
        "OK",
        treat="breaching",
    ),
    Case(
        "0-X-X-notbreaching",
        "[MISSING] 3 real points: notBreaching fill not used",
        "0-X-X",
        "OK",
        treat="notBreaching",
    ),
    Case(
        "X-X-X-range",
        "[MISSING] real points from farther back in the range count",
        "X-X-X",
        "ALARM",
        treat="notBreaching",
    ),
    Case(
        "----0-missing",
        "[MISSING] one real non-breaching point: ALARM impossible -> OK",
        "----0",
        "OK",
        treat="missing",
    ),
    Case(
        "----0-breaching",
        "[MISSING] fill 2 as breaching: 0XX is 2 of 3 < M -> OK",
        "----0",
        "OK",
        treat="breaching",
    ),
    Case(
        "--X---breaching",
        "[MISSING] fill as breaching: XXX -> ALARM",
        "--X--",
        "ALARM",
        treat="breaching",
    ),
    Case(
        "--X---notbreaching",
        "[MISSING] fill as notBreaching: X00 -> OK",
        "--X--",
        "OK",
        treat="notBreaching",
        start="ALARM",
    ),
    Case(
        "--X---missing-keeps",
        "[MISSING] missing: undecidable with 1 of 3 real -> state kept",
        "--X--",
        "OK",
        treat="missing",
        start="OK",
    ),
    Case(
        "--X---ignore-keeps",
        "[MISSING] ignore: undecidable -> state kept",
        "--X--",
        "INSUFFICIENT_DATA",
        treat="ignore",
    ),
    Case(
        "1of3-missing-one-breach",
        "[MISSING] real breaching points reach M=1 -> ALARM",
        "--X--",
        "ALARM",
        treat="missing",
        m=1,
    ),
    Case(
        "outside-range",
        "[MISSING] data older than the evaluation range is not read",
        "XXX-----",
        "INSUFFICIENT_DATA",
        treat="missing",
    ),
    Case(
        "gt-equal",
        "[API] GreaterThanThreshold: equal does not breach",
        "X",
        "OK",
        n=1,
        extra={"comparison": "GreaterThanThreshold", "threshold": 10.0},
    ),
    Case(
        "ge-equal",
        "[API] GreaterThanOrEqualToThreshold: equal breaches",
        "X",
        "ALARM",
        n=1,
        extra={"threshold": 10.0},
    ),
    Case(
        "lt",
        "[API] LessThanThreshold: 1 < 5 breaches",
        "0",
        "ALARM",
        n=1,
        extra={"comparison": "LessThanThreshold"},
    ),
    Case(
        "le-equal",
        "[API] LessThanOrEqualToThreshold: 1 <= 1 breaches",
        "0",
        "ALARM",
        n=1,
        extra={"comparison": "LessThanOrEqualToThreshold", "threshold": 1.0},
    ),
    Case(
        "lt-missing-notbreaching",
        "[MISSING] notBreaching for a LessThan alarm -> OK",
        "---",
        "OK",
        treat="notBreaching",
        extra={"comparison": "LessThanThreshold"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_alarm_state(case: Case) -> None:
    now = T0 + len(case.seq) * 60 + 5  # 5 s into a period that has no data yet
    result = evaluate(_spec(case), _points(case.seq), now, case.start)
    assert result.state == case.expected, f"{case.doc}; reason: {result.reason}"


def _period(values: list[float]) -> list[Point]:
    return [Point(T0 + 1 + i * 0.1, v) for i, v in enumerate(values)]


STATS = [
    ("Sum", 6.0, "[STATS] Sum: all values added"),
    ("Average", 2.0, "[STATS] Average: Sum / SampleCount"),
    ("Minimum", 1.0, "[STATS] Minimum"),
    ("Maximum", 3.0, "[STATS] Maximum"),
    ("SampleCount", 3.0, "[STATS] SampleCount: number of values"),
]


@pytest.mark.parametrize(("stat", "want", "doc"), STATS, ids=[s[0] for s in STATS])
def test_basic_statistics(stat: str, want: float, doc: str) -> None:
    assert statistic_of(_period([1.0, 2.0, 3.0]), stat) == want, doc


def test_percentiles_p90_p99() -> None:
    """[STATS] pNN: the value below which NN % of the period's values fall (1..100 here)."""
    pts = _period([float(v) for v in range(100, 0, -1)])
    assert statistic_of(pts, "p90") == 90.0
    assert statistic_of(pts, "p99") == 99.0
    assert statistic_of(pts, "p50") == 50.0


def test_percentile_of_statistic_set_is_missing() -> None:
    """[STATS] percentiles are not available for data published as statistic sets."""
    pts = [Point(T0 + 1, 2.0, stats=(2.0, 4.0, 1.0, 3.0))]
    assert statistic_of(pts, "p99") is None
    assert statistic_of(pts, "Sum") == 4.0


def test_p99_alarm_uses_percentile_not_average() -> None:
    """[STATS]+[EVAL] a p99 latency alarm breaches on the tail although the average is low."""
    values = [100.0] * 98 + [5000.0, 5000.0]
    spec = AlarmSpec("lat", "N", "Latency", "p99", 60, 1, 1000.0, "GreaterThanThreshold")
    assert evaluate(spec, _period(values), T0 + 65, "OK").state == "ALARM"
    avg = AlarmSpec("lat", "N", "Latency", "Average", 60, 1, 1000.0, "GreaterThanThreshold")
    assert evaluate(avg, _period(values), T0 + 65, "OK").state == "OK"


def test_sum_in_one_period_is_one_datapoint() -> None:
    """[EVAL] one datapoint per period: three values of 2 in one minute are Sum 6 >= 5."""
    spec = AlarmSpec("s", "N", "M", "Sum", 60, 1, 5.0, "GreaterThanOrEqualToThreshold")
    assert evaluate(spec, _period([2.0, 2.0, 2.0]), T0 + 65, "OK").state == "ALARM"
    assert evaluate(spec, _period([2.0, 2.0]), T0 + 65, "OK").state == "OK"


def test_current_period_with_data_counts_and_future_points_do_not() -> None:
    """[EVAL] the newest datapoint is the current period once it has data; later ones wait."""
    spec = AlarmSpec("c", "N", "M", "Maximum", 60, 1, 5.0, "GreaterThanOrEqualToThreshold")
    pts = [Point(T0 + 10, 10.0), Point(T0 + 500, 1.0)]
    assert evaluate(spec, pts, T0 + 20, "OK").state == "ALARM"


def test_reason_names_datapoints_and_threshold() -> None:
    """[EVAL] the state reason lists the evaluated datapoints and the threshold, like AWS."""
    case = Case("r", "", "XXX", "ALARM")
    result = evaluate(_spec(case), _points("XXX"), T0 + 185, "OK")
    assert result.reason.startswith("Threshold Crossed: 3 out of the last 3 datapoints [10.0")
    assert "greater than or equal to the threshold (5.0)" in result.reason


def test_golden_cases_catch_a_broken_evaluation_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """Break the engine on purpose (no evaluation range beyond N periods): the golden cases
    that read real datapoints from farther back now fail, naming what broke."""
    from atelier.emulator.cloudwatch import semantics

    monkeypatch.setattr(semantics, "EXTRA_RANGE_PERIODS", 0)
    broken = [
        c.id
        for c in CASES
        if evaluate(_spec(c), _points(c.seq), T0 + len(c.seq) * 60 + 5, c.start).state != c.expected
    ]
    assert "X-X-X-range" in broken and "0-X-X-missing" in broken


def test_golden_cases_catch_missing_treated_as_breaching(monkeypatch: pytest.MonkeyPatch) -> None:
    """Break the engine on purpose (every TreatMissingData read as ``breaching``)."""
    broken = []
    for c in CASES:
        spec = _spec(Case(c.id, c.doc, c.seq, c.expected, c.n, c.m, "breaching", c.start, c.extra))
        if evaluate(spec, _points(c.seq), T0 + len(c.seq) * 60 + 5, c.start).state != c.expected:
            broken.append(c.id)
    assert {"all-missing-missing", "all-missing-notbreaching", "--X---notbreaching"} <= set(broken)


def test_reason_for_missing_data_names_the_treatment() -> None:
    """[MISSING] the reason of a no-data transition names the treatment as AWS does."""
    case = Case("m", "", "---", "OK", treat="notBreaching")
    result = evaluate(_spec(case), [], T0 + 185, "ALARM")
    assert result.state == "OK" and "[NonBreaching]" in result.reason
