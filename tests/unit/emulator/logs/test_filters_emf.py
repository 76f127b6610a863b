"""Log events -> datapoints: metric filter transformations and Embedded Metric Format."""

from __future__ import annotations

import json

from atelier.emulator.logs.filters import apply

FILTER = {
    "filterPattern": '{ $.status = "FAILED" }',
    "metricTransformations": [
        {
            "metricName": "JobsFailed",
            "metricNamespace": "Atelier",
            "metricValue": "1",
            "defaultValue": 0,
        },
        {
            "metricName": "FailedDuration",
            "metricNamespace": "Atelier",
            "metricValue": "$.duration_s",
            "dimensions": {"Pipeline": "$.pipeline"},
        },
    ],
}


def _ev(doc: object, ts: int = 1_700_000_000_000) -> dict[str, object]:
    return {"timestamp": ts, "message": doc if isinstance(doc, str) else json.dumps(doc)}


def test_filter_counts_and_takes_value_and_dimension_from_fields() -> None:
    out = apply(
        [FILTER],
        [
            _ev({"status": "FAILED", "pipeline": "images", "duration_s": 3.5}),
            _ev({"status": "SUCCEEDED", "pipeline": "images", "duration_s": 1}),
        ],
    )
    assert [(o.metric, o.value, o.dimensions) for o in out] == [
        ("JobsFailed", 1.0, {}),
        ("FailedDuration", 3.5, {"Pipeline": "images"}),
    ]
    assert out[0].timestamp == 1_700_000_000.0


def test_default_value_when_nothing_matches() -> None:
    out = apply([FILTER], [_ev({"status": "RUNNING"})])
    assert [(o.metric, o.value) for o in out] == [("JobsFailed", 0.0)]


def test_missing_value_field_gives_no_datapoint() -> None:
    out = apply([FILTER], [_ev({"status": "FAILED"})])
    assert [o.metric for o in out] == ["JobsFailed"]


def test_emf_event_becomes_datapoints_per_dimension_set() -> None:
    doc = {
        "_aws": {
            "Timestamp": 1_700_000_000_500,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Atelier/Api",
                    "Dimensions": [["Route"], []],
                    "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "Errors"}],
                }
            ],
        },
        "Route": "/structured_data",
        "Latency": [12, 30],
        "Errors": 0,
    }
    out = apply([], [_ev(doc)])
    assert sorted((o.metric, o.value, tuple(o.dimensions.items())) for o in out) == sorted(
        [
            ("Latency", 12.0, (("Route", "/structured_data"),)),
            ("Latency", 30.0, (("Route", "/structured_data"),)),
            ("Latency", 12.0, ()),
            ("Latency", 30.0, ()),
            ("Errors", 0.0, (("Route", "/structured_data"),)),
            ("Errors", 0.0, ()),
        ]
    )
    assert out[0].timestamp == 1_700_000_000.5 and out[0].unit == "Milliseconds"


def test_not_emf_gives_nothing() -> None:
    assert apply([], [_ev({"Latency": 5}), _ev("plain _aws text"), _ev('{"_aws": 1}')]) == []
