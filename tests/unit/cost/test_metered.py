"""The meter priced like the estimate; a wrong profile is caught per service."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from atelier.cost import metered, replay
from atelier.cost.estimate import KB_PER_GB, estimate
from atelier.cost.prices import CostError, PriceTable
from atelier.cost.profile import EnvProfile, build
from atelier.topology import Topology
from atelier.topology.workload import streams_for

SPAN_H = 2.0


def _expected_snapshot(p: EnvProfile) -> dict[str, Any]:
    """What a runtime that does exactly the profile would meter in SPAN_H hours."""
    est = estimate(p, _prices())
    share = SPAN_H / 730

    def total(item: str) -> float:
        return sum(ln.amount for ln in est.lines if ln.item.split("[")[0] == item) * share

    lambdas: dict[str, Any] = {}
    for ln in est.lines:
        if ln.item == "lambda.requests":
            lambdas.setdefault(
                f"atelier-local-x{len(lambdas)}",
                {"invocations": ln.amount * share, "duration_ms": 1.0},
            )
    return {
        "simulated_seconds": SPAN_H * 3600,
        "tasks": [],
        "lambda": lambdas,
        "counters": {
            "apigateway.requests": total("apigateway.requests"),
            "dynamodb.writes": total("dynamodb.writes"),
            "dynamodb.reads": total("dynamodb.reads"),
            "s3.puts": total("s3.puts"),
            "s3.gets": total("s3.gets"),
            "logs.bytes": total("logs.ingest_gb") * KB_PER_GB * 1024,
        },
        "alarms": [],
    }


def _prices() -> PriceTable:
    from atelier.cost.prices import load

    return load()


def _rows(p: EnvProfile, snap: dict[str, Any], prices: PriceTable) -> dict[str, float]:
    m = metered.usage_from_snapshot(snap, p)
    met = metered.price_metered(m, p, prices)
    return {name: diff for name, _, _, diff in replay._compare(estimate(p, prices), met)}


def test_a_runtime_doing_the_profile_agrees_per_service(
    topology: Topology, prices: PriceTable
) -> None:
    p = build(topology, "qa", prices)
    rows = _rows(p, _expected_snapshot(p), prices)
    for name in ("API Gateway", "DynamoDB", "S3", "CloudWatch Logs"):
        assert abs(rows[name]) < 0.01, (name, rows)


def test_a_wrong_profile_is_caught_naming_the_service(
    topology: Topology, prices: PriceTable
) -> None:
    p = build(topology, "qa", prices)
    snap = _expected_snapshot(p)
    spec = p.workload.requests["structured_data"]
    wrong = p.workload.model_copy(
        update={
            "requests": {
                **p.workload.requests,
                "structured_data": spec.model_copy(update={"dynamodb_writes": 5}),
            }
        }
    )
    bad = replace(p, workload=wrong, streams=streams_for(wrong, "qa"))
    rows = _rows(bad, snap, prices)
    assert rows["DynamoDB"] < -0.05  # the meter saw far fewer writes than the profile claims
    assert abs(rows["API Gateway"]) < 0.01


def test_an_empty_meter_is_an_error(topology: Topology, prices: PriceTable) -> None:
    with pytest.raises(CostError, match="no elapsed time"):
        metered.usage_from_snapshot({"simulated_seconds": 0}, build(topology, "qa", prices))


def test_the_schedule_follows_the_profile(topology: Topology, prices: PriceTable) -> None:
    p = build(topology, "prod", prices)
    week = replay.schedule(p, 168, replay.parse_start("mon 00:00"))
    kinds: dict[str, int] = {}
    for e in week:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    assert kinds["structured_data"] == 7 * 24 * 60
    assert kinds["non_structured_data_images"] == 45  # 9 h x 5 days, Paris time
    assert kinds["canary"] == 7 * 24 * 60
    monday_night = replay.schedule(p, 8, replay.parse_start("mon 00:00"))
    assert not [e for e in monday_night if e.kind == "non_structured_data_images"]
    with pytest.raises(CostError, match="--start"):
        replay.parse_start("someday")


def test_a_local_canary_lambda_counts_as_synthetics_runs(
    topology: Topology, prices: PriceTable
) -> None:
    p = build(topology, "prod", prices)
    snap = {"simulated_seconds": 3600, "tasks": [], "counters": {}, "alarms": [],
            "lambda": {"atelier-local-api-canary": {"invocations": 60, "duration_ms": 600.0}}}  # fmt: skip
    usage = metered.usage_from_snapshot(snap, p).usage
    runs = sum(q.amount for q in usage.quantities if q.item == "synthetics.runs")
    assert runs == pytest.approx(60 * 730)
    assert not [q for q in usage.quantities if q.item == "lambda.requests"]


IMAGES = "non_structured_data_images"


def test_a_scoped_reading_counts_only_its_deployment(
    topology: Topology, prices: PriceTable
) -> None:
    """Another deployment in the same runtime (its API, functions and service) is left out."""
    p = build(topology, "qa", prices)
    snap = _expected_snapshot(p)
    mine = sum(v["invocations"] for v in snap["lambda"].values())
    snap["lambda"]["atelier-other-auth"] = {"invocations": 500.0, "duration_ms": 900.0}
    snap["tasks"] = [
        {"family": f"atelier-{env}-{IMAGES}", "billed_seconds": 1500.0, "running": False,
         "vcpu": 0.5, "memory_gb": 1.0, "gpu": 0} for env in ("local", "other")
    ]  # fmt: skip
    ours = snap["counters"]["apigateway.requests"]
    snap["counters"] |= {"apigateway.requests": ours + 900, "apigateway.requests@abc123": ours}

    def amount(m: metered.Metered, item: str) -> float:
        return sum(q.amount for q in m.usage.quantities if q.item == item)

    scale = 730 / SPAN_H
    scoped = metered.usage_from_snapshot(snap, p, scope=metered.Scope("atelier-local-", "abc123"))
    assert amount(scoped, "lambda.requests") == pytest.approx(mine * scale)
    assert amount(scoped, "apigateway.requests") == pytest.approx(ours * scale)
    unscoped = metered.usage_from_snapshot(snap, p)
    assert amount(unscoped, "lambda.requests") == pytest.approx((mine + 500) * scale)
    assert amount(unscoped, "apigateway.requests") == pytest.approx((ours + 900) * scale)
    assert amount(unscoped, "fargate.vcpu_hours") == pytest.approx(
        2 * amount(scoped, "fargate.vcpu_hours")
    )


def test_the_api_id_is_read_from_every_address_form() -> None:
    assert replay._api_id("http://127.0.0.1:4566/restapis/abc123/v1/_user_request_") == "abc123"
    assert replay._api_id("https://abc123.execute-api.localhost:4566/v1") == "abc123"
    assert replay._api_id("http://127.0.0.1:4566/_aws/execute-api/abc123/v1") == "abc123"
    assert replay._api_id("http://127.0.0.1:4566/v1") is None
