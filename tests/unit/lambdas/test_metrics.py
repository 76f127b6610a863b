"""Every route lambda prints one EMF line per request (``lambda_shared.metrics``): Latency and
Requests in ``Atelier/Api`` per route, per route and status class, and per pipeline. The line is
read back through the runtime's own EMF parser (``atelier.emulator.logs.emf``), so what the
lambda prints is what the runtime, like CloudWatch, turns into datapoints."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from lambda_testkit import Cloud, invoke, load_event, load_handler

from atelier.emulator.logs import emf

EVENTS = {
    "non_structured_data_images": "apigw_rest_post_non_structured_data_images.json",
    "jobs": "apigw_rest_get_job.json",
    "auth": "apigw_rest_post_auth.json",
}


def emf_docs(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def emf_problems(
    out: str, route: str, status_class: str, pipeline: str | None, env: str = "test"
) -> list[str]:
    """What the request's EMF line lacks, each problem naming the part that broke."""
    docs = emf_docs(out)
    if len(docs) != 1:
        return [f"expected one EMF line on stdout, got {len(docs)}"]
    points = emf.parse(json.dumps(docs[0]), 0.0)
    problems = []
    namespaces = {p.namespace for p in points}
    if namespaces != {"Atelier/Api"}:
        problems.append(f"namespace {sorted(namespaces)}, expected Atelier/Api")
    wanted = [
        {"Environment": env, "Route": route},
        {"Environment": env, "Route": route, "StatusClass": status_class},
    ]
    if pipeline:
        wanted.append({"Environment": env, "Pipeline": pipeline})
    for metric, unit in (("Latency", "Milliseconds"), ("Requests", "Count")):
        got = [p for p in points if p.metric == metric]
        if not got:
            problems.append(f"no {metric} datapoint")
        for dims in wanted:
            match = [p for p in got if p.dimensions == dims]
            if not match:
                seen = [p.dimensions for p in got]
                problems.append(f"{metric}: no datapoint with dimensions {dims} (saw {seen})")
            elif match[0].unit != unit or any(v < 0 for v in match[0].values):
                problems.append(f"{metric} {dims}: unit {match[0].unit}, {match[0].values}")
    extra = [p.dimensions for p in points if p.dimensions not in wanted]
    if extra:
        problems.append(f"unexpected dimension sets {extra}")
    return problems


def test_a_pipeline_submission_emits_latency_per_route_status_class_and_pipeline(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = invoke(
        load_handler("non_structured_data_images").handler,
        load_event(EVENTS["non_structured_data_images"]),
    )
    assert answer.status == 202
    out = capsys.readouterr().out
    problems = emf_problems(out, "/non_structured_data_images", "2xx", "non_structured_data_images")
    assert not problems, problems


def test_refusals_and_failures_are_counted_in_their_class_under_the_route_template(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event(EVENTS["jobs"])  # an unknown job: 404
    assert invoke(load_handler("jobs").handler, event).status == 404
    out = capsys.readouterr().out
    assert event["path"] != event["resource"] == "/jobs/{job_id}"  # the template, not the id
    assert not emf_problems(out, "/jobs/{job_id}", "4xx", None), emf_problems(
        out, "/jobs/{job_id}", "4xx", None
    )

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("lambda_shared.users.client", broken)
    assert invoke(load_handler("auth").handler, load_event(EVENTS["auth"])).status == 500
    out = capsys.readouterr().out
    assert not emf_problems(out, "/auth", "5xx", None), emf_problems(out, "/auth", "5xx", None)


@pytest.mark.parametrize(
    ("break_it", "named"),
    [
        ("namespace", "namespace ['Atelier/Other'], expected Atelier/Api"),
        ("dimension", "no datapoint with dimensions {'Environment': 'test', 'Route'"),
        ("emission", "expected one EMF line on stdout, got 0"),
    ],
)
def test_a_broken_emission_is_caught_and_named(
    cloud: Cloud,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    break_it: str,
    named: str,
) -> None:
    from lambda_shared import metrics

    if break_it == "namespace":
        monkeypatch.setattr(metrics.metrics, "namespace", "Atelier/Other")
    elif break_it == "dimension":
        real = metrics.metrics.add_dimension

        def renamed(name: str, value: str) -> None:
            real(name="Path" if name == "Route" else name, value=value)

        monkeypatch.setattr(metrics.metrics, "add_dimension", renamed)
    else:
        monkeypatch.setattr("lambda_shared.api.record", lambda *args: None)
    event = copy.deepcopy(load_event(EVENTS["non_structured_data_images"]))
    invoke(load_handler("non_structured_data_images").handler, event)
    out = capsys.readouterr().out
    problems = emf_problems(out, "/non_structured_data_images", "2xx", "non_structured_data_images")
    assert any(named in p for p in problems), problems


@pytest.mark.parametrize(
    ("status", "cls"), [(200, "2xx"), (202, "2xx"), (404, "4xx"), (503, "5xx"), (0, "5xx")]
)
def test_status_class(status: int, cls: str) -> None:
    from lambda_shared.metrics import status_class

    assert status_class(status) == cls
