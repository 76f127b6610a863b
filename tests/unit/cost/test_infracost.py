from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from atelier.cost import infracost
from atelier.cost.estimate import estimate
from atelier.cost.prices import CostError, PriceTable
from atelier.cost.profile import build
from atelier.topology import Topology

LAMBDA = 'module.stack.module.api.aws_lambda_function.this["structured_data"]'


def test_written_then_read_gives_the_same_estimate(
    topology: Topology, prices: PriceTable, tmp_path: Path
) -> None:
    profile = build(topology, "qa", prices)
    est = estimate(profile, prices)
    path = tmp_path / "infracost-usage.yml"
    infracost.write(profile, est, path)
    data = yaml.safe_load(path.read_text())
    assert data["version"] == "0.1"
    assert data["resource_usage"][LAMBDA]["monthly_requests"] == round(profile.streams[0].per_month)
    again = estimate(infracost.read(profile, path), prices)
    assert again.total == pytest.approx(est.total, rel=1e-3)


def test_the_usage_file_overrides_the_profile(
    topology: Topology, prices: PriceTable, tmp_path: Path
) -> None:
    profile = build(topology, "prod", prices)
    est = estimate(profile, prices)
    data = infracost.usage_file(profile, est)
    data["resource_usage"][LAMBDA]["monthly_requests"] = 10 * round(profile.streams[0].per_month)
    path = tmp_path / "infracost-usage.yml"
    path.write_text(yaml.safe_dump(data))
    read = infracost.read(profile, path)
    assert read.streams[0].per_month == pytest.approx(10 * profile.streams[0].per_month, rel=1e-3)
    assert estimate(read, prices).total > est.total


def test_a_bad_usage_file_names_the_field(
    topology: Topology, prices: PriceTable, tmp_path: Path
) -> None:
    profile = build(topology, "prod", prices)
    path = tmp_path / "u.yml"
    path.write_text("version: 0.2\n")
    with pytest.raises(CostError, match=r"version: expected 0\.1"):
        infracost.read(profile, path)
    path.write_text(
        yaml.safe_dump({"version": "0.1", "resource_usage": {LAMBDA: {"monthly_requests": -5}}})
    )
    with pytest.raises(
        CostError, match=r"structured_data\"\]\.monthly_requests: negative value -5"
    ):
        infracost.read(profile, path)
