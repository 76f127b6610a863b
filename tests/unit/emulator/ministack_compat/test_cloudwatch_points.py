"""The alarm engine's datapoint query on MiniStack's store skips old points by bisection and
still finds every point in range, a point stored late with a past timestamp included."""

from __future__ import annotations

import uuid
from typing import Any

from atelier.emulator.ministack_compat import cloudwatch as cw_compat

SCOPE = ("000000000000", "us-east-1")


def _metric() -> tuple[str, str, dict[str, str]]:
    return "Test/Points", f"m-{uuid.uuid4().hex[:8]}", {"FunctionName": "f"}


def test_points_in_range_in_order_and_out_of_order() -> None:
    namespace, metric, dims = _metric()
    for ts in range(1000, 1100):
        cw_compat.put_point(SCOPE, namespace, metric, dims, float(ts), float(ts))
    got = cw_compat.points(SCOPE, namespace, metric, dims, 1090.0)
    assert [p.timestamp for p in got] == [float(t) for t in range(1090, 1100)]
    # late arrivals, one from the past and one in range, after the sorted prefix
    cw_compat.put_point(SCOPE, namespace, metric, dims, 1.0, 1095.5)
    cw_compat.put_point(SCOPE, namespace, metric, dims, 2.0, 1010.0)
    cw_compat.put_point(SCOPE, namespace, metric, dims, 3.0, 1200.0)
    got = cw_compat.points(SCOPE, namespace, metric, dims, 1095.0)
    assert sorted(p.timestamp for p in got) == [1095.0, 1095.5, 1096.0, 1097.0, 1098.0,
                                                 1099.0, 1200.0]  # fmt: skip
    got = cw_compat.points(SCOPE, namespace, metric, dims, 1005.0)
    assert len(got) == 95 + 3  # 1005..1099, the late 1010, 1095.5 and 1200


def test_the_query_reads_only_the_recent_points() -> None:
    """What the bisection is for: a query for the last minute does not read the hour before."""
    namespace, metric, dims = _metric()
    for ts in range(0, 3600):
        cw_compat.put_point(SCOPE, namespace, metric, dims, 1.0, float(ts))
    reads = 0
    original = cw_compat._timestamp

    def counting(pt: dict[str, Any]) -> float:
        nonlocal reads
        reads += 1
        return original(pt)

    cw_compat._timestamp = counting
    try:
        cw_compat.points(SCOPE, namespace, metric, dims, 3540.0)  # builds the index once
        reads = 0
        assert len(cw_compat.points(SCOPE, namespace, metric, dims, 3540.0)) == 60
    finally:
        cw_compat._timestamp = original
    assert reads <= 20, f"{reads} points read by bisection"
