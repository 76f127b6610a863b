"""Logs Insights queries (the saved queries of terraform/modules/monitoring/queries)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atelier.emulator.logs.insights import QueryError, record, run

ROOT = Path(__file__).resolve().parents[4]
T0 = 1_764_590_400_000  # 2025-12-01 12:00:00 UTC


def _events() -> list[dict[str, object]]:
    rows = []
    for i in range(6):
        doc = {
            "event": "job_transition",
            "job_id": f"j{i}",
            "pipeline": "images" if i % 2 else "al",
            "status": "FAILED" if i < 3 else "SUCCEEDED",
            "duration_s": i * 1.5,
            "error_class": "OSError" if i < 2 else "ValueError",
        }
        rows.append(record(T0 + i * 60_000, json.dumps(doc), "s", "/g"))
    rows.append(record(T0 + 400_000, "ERROR route=/structured_data took 120ms", "s", "/g"))
    rows.append(record(T0 + 410_000, "ERROR route=/jobs took 5ms", "s", "/g"))
    return rows


def test_fields_filter_sort_limit() -> None:
    q = (
        'fields job_id, duration_s | filter event = "job_transition" and status = "SUCCEEDED"'
        " | sort duration_s desc | limit 2"
    )
    assert run(q, _events()) == [
        {"job_id": "j5", "duration_s": 7.5},
        {"job_id": "j4", "duration_s": 6},
    ]


def test_stats_by_fields_and_bin() -> None:
    q = 'filter status = "FAILED" | stats count(*) as failures by pipeline, error_class | sort failures desc'
    got = run(q, _events())
    assert (
        got[0] == {"pipeline": "al", "error_class": "OSError", "failures": 1}
        or got[0]["failures"] == 1
    )
    assert sorted((r["pipeline"], r["error_class"], r["failures"]) for r in got) == [
        ("al", "OSError", 1),
        ("al", "ValueError", 1),
        ("images", "OSError", 1),
    ]
    bins = run(
        'filter event = "job_transition" | stats count(*) as n, avg(duration_s) as avg by bin(5m)',
        _events(),
    )
    assert sorted(r["n"] for r in bins) == [1, 5]


def test_parse_glob_and_like() -> None:
    q = (
        'filter @message like /ERROR/ | parse @message "route=* took *ms" as route, ms'
        " | stats max(ms) as slowest by route | sort slowest desc"
    )
    assert run(q, _events()) == [
        {"route": "/structured_data", "slowest": 120},
        {"route": "/jobs", "slowest": 5},
    ]


def test_pct() -> None:
    assert run("stats pct(duration_s, 50) as p50", _events()) == [{"p50": 3}]


@pytest.mark.parametrize(
    "bad",
    ["", "filter", "frobnicate x", "limit ten", 'filter a ~ "b"', 'parse @message "a * b" as x, y'],
)
def test_malformed_queries(bad: str) -> None:
    with pytest.raises(QueryError):
        run(bad, _events())


def test_saved_queries_parse() -> None:
    files = sorted((ROOT / "terraform/modules/monitoring/queries").glob("*.logsinsights"))
    assert len(files) >= 3
    for path in files:
        run(path.read_text(), _events())  # raises on a query the runtime cannot run
