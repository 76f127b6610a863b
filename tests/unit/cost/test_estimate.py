from __future__ import annotations

import json

import pytest

from atelier.cost import formats
from atelier.cost.compare import compare
from atelier.cost.estimate import estimate
from atelier.cost.prices import PriceTable
from atelier.cost.profile import WhatIf, build
from atelier.cost.recommend import recommend
from atelier.cost.usage import by
from atelier.topology import Topology
from atelier.topology.workload import HOURS_PER_MONTH


def _services(
    topology: Topology, prices: PriceTable, env: str, **whatif: object
) -> dict[str, float]:
    est = estimate(build(topology, env, prices, WhatIf(**whatif)), prices)  # type: ignore[arg-type]
    return by(est.lines, "service")


def test_the_canary_costs_a_run_a_minute(topology: Topology, prices: PriceTable) -> None:
    runs = 60 * HOURS_PER_MONTH  # ~43,800 a month, as the users' figure says
    price = prices.get("eu-west-3", "cloudwatch", "synthetics_run")
    assert _services(topology, prices, "prod")["Synthetics"] == pytest.approx(runs * price)
    five = _services(topology, prices, "prod", canary_every_minutes=5)["Synthetics"]
    assert five == pytest.approx(runs / 5 * price)


def test_the_structured_service_runs_its_desired_tasks_all_month(
    topology: Topology, prices: PriceTable
) -> None:
    est = estimate(build(topology, "prod", prices), prices)
    vcpu = [
        ln
        for ln in est.lines
        if ln.item == "fargate.vcpu_hours" and ln.pipeline == "structured_data"
    ]
    assert vcpu[0].amount == pytest.approx(2 * HOURS_PER_MONTH * 0.5)  # prod desired 2, 512 cpu
    assert "2 tasks x 730 h" in vcpu[0].formula


def test_images_run_in_paris_business_hours_for_25_minutes(
    topology: Topology, prices: PriceTable
) -> None:
    est = estimate(build(topology, "prod", prices), prices)
    (line,) = [
        ln
        for ln in est.lines
        if ln.item == "fargate.vcpu_hours"
        and ln.pipeline == "non_structured_data_images"
        and "25 min" in ln.formula  # the canary's image jobs are their own line
    ]
    runs = 45 * HOURS_PER_MONTH / 168  # 9 h x 5 days a week
    assert line.amount == pytest.approx(runs * 25 / 60 * 2.0)
    assert "25 min" in line.formula


def test_every_line_has_a_formula_and_a_price_path(topology: Topology, prices: PriceTable) -> None:
    est = estimate(build(topology, "prod", prices), prices)
    assert all(ln.formula and ln.price_path for ln in est.lines)
    assert {"NAT gateway", "WAF", "CloudFront", "RDS", "EC2 GPU"} <= set(by(est.lines, "service"))


def test_flags_change_the_estimate(topology: Topology, prices: PriceTable) -> None:
    qa, prod = _services(topology, prices, "qa"), _services(topology, prices, "prod")
    assert "WAF" not in qa and "WAF" in prod  # enable_waf only in prod's tfvars
    assert prod["RDS"] > qa["RDS"]  # multi-AZ in prod
    assert "NAT gateway" not in _services(topology, prices, "qa", no_nat=True)


def test_what_ifs_save_money(topology: Topology, prices: PriceTable) -> None:
    base = _services(topology, prices, "prod")
    assert _services(topology, prices, "prod", gpu_spot=True)["EC2 GPU"] < base["EC2 GPU"] / 2
    night = _services(topology, prices, "preprod", night_off=True)
    assert night["RDS"] < _services(topology, prices, "preprod")["RDS"]


def test_compare_prints_every_environment(topology: Topology, prices: PriceTable) -> None:
    comparison = compare(topology, ["qa", "preprod", "prod"], prices)
    text = comparison.markdown()
    assert "| service | qa | preprod | prod |" in text
    assert comparison.totals[2] > comparison.totals[0]


def test_recommendations_have_savings(topology: Topology, prices: PriceTable) -> None:
    qa = {r.flag: r.saving_usd for r in recommend(topology, "qa", prices)}
    assert {"--gpu-spot", "--canary-every 5", "--night-off", "--no-nat"} <= set(qa)
    assert all(v > 0 for v in qa.values())
    prod = {r.flag for r in recommend(topology, "prod", prices)}
    assert "--canary-every 5" not in prod  # prod keeps its one-minute canary


def test_formats(topology: Topology, prices: PriceTable) -> None:
    est = estimate(build(topology, "prod", prices), prices)
    data = json.loads(formats.to_json(est, prices))
    assert data["monthly_total_usd"] == pytest.approx(est.total, abs=0.01)
    assert sum(data["by_service"].values()) == pytest.approx(est.total, abs=0.2)
    assert "| Synthetics |" in formats.to_markdown(est, prices)
    html = formats.to_html(est, prices)
    assert "<svg" in html and "<rect" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # offline
    assert "https://" not in html and "<script" not in html


def test_the_canarys_image_check_is_priced_where_it_is_on(
    topology: Topology, prices: PriceTable
) -> None:
    """sizes.canary_image_check (prod) runs an image job on every canary run: a minute of the
    image task's Fargate each time (its 1-minute minimum), which the estimate must show."""
    from dataclasses import replace

    prod = build(topology, "prod", prices)
    assert prod.canary_image_check and not build(topology, "qa", prices).canary_image_check
    with_check = estimate(prod, prices)
    without = estimate(replace(prod, canary_image_check=False), prices)
    runs = 60 * HOURS_PER_MONTH

    def vcpu(est: object) -> float:
        return sum(
            ln.amount
            for ln in est.lines  # type: ignore[attr-defined]
            if ln.item == "fargate.vcpu_hours" and ln.pipeline == "non_structured_data_images"
        )

    assert vcpu(with_check) - vcpu(without) == pytest.approx(runs * 1 / 60 * 2.0)
    assert any("canary image check" in n for n in with_check.assumptions)
    fargate = by(with_check.lines, "service")["Fargate"] - by(without.lines, "service")["Fargate"]
    assert fargate > 50  # about 730 task-hours a month: the reason it is prod only
