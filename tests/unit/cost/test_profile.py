"""Bad input: one clear error naming the field, before any number is printed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from atelier.cost.cli import cost
from atelier.cost.prices import CostError, PriceTable, parse
from atelier.cost.profile import build, read_tfvars, terraform_flags
from atelier.topology import Topology, TopologyError
from atelier.topology import parse as parse_topology
from atelier_devtools.paths import REPO_ROOT

TOPOLOGY = (REPO_ROOT / "topology.yaml").read_text()
NUMBER = re.compile(r"\d+\.\d\d")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cost, list(args))
    return result.exit_code, result.output


def test_a_negative_rate_is_an_error_naming_the_field_and_its_line(tmp_path: Path) -> None:
    bad = TOPOLOGY.replace("      per_hour: 60\n", "      per_hour: -60\n", 1)
    assert bad != TOPOLOGY
    with pytest.raises(TopologyError) as err:
        parse_topology(bad)
    assert "workload.requests.structured_data.per_hour" in str(err.value)
    assert "greater than or equal to 0" in str(err.value)
    path = tmp_path / "topology.yaml"
    path.write_text(bad)
    code, out = _run("--env", "prod", "--topology", str(path))
    assert code == 1
    assert "workload.requests.structured_data.per_hour" in out
    assert not NUMBER.search(out.split("per_hour")[1]), out  # no cost printed


def test_an_unknown_window_or_time_zone_names_the_field() -> None:
    with pytest.raises(TopologyError, match="unknown time zone 'Europe/Pariss'"):
        parse_topology(TOPOLOGY.replace("timezone: Europe/Paris", "timezone: Europe/Pariss"))
    with pytest.raises(TopologyError, match="unknown window 'office'"):
        parse_topology(TOPOLOGY.replace("window: paris_business_hours", "window: office"))


def test_an_override_of_an_unknown_environment_names_it() -> None:
    bad = re.sub(r"\n    preprod: +# used on demand[^\n]*", "\n    staging:", TOPOLOGY)
    assert bad != TOPOLOGY
    with pytest.raises(
        TopologyError, match=r"workload\.environments\.staging.*unknown environment"
    ):
        parse_topology(bad)


def test_an_unknown_region_is_an_error_naming_the_field(
    topology: Topology, prices: PriceTable
) -> None:
    bad = parse_topology(
        TOPOLOGY.replace("  qa:\n    region: eu-west-3", "  qa:\n    region: ap-south-9")
    )
    with pytest.raises(
        CostError, match=r"environments\.qa\.region: no prices for region 'ap-south-9'"
    ):
        build(bad, "qa", prices)


def test_an_unknown_instance_type_names_the_tfvars_field(
    topology: Topology, prices: PriceTable, tmp_path: Path
) -> None:
    root = tmp_path / "terraform"
    shutil.copytree(REPO_ROOT / "terraform" / "modules" / "stack", root / "modules" / "stack")
    shutil.copytree(REPO_ROOT / "terraform" / "envs" / "prod", root / "envs" / "prod")
    tfvars = root / "envs" / "prod" / "terraform.tfvars"
    tfvars.write_text(tfvars.read_text().replace('"g4dn.xlarge"', '"g9.huge"'))
    with pytest.raises(
        CostError, match=r"terraform\.tfvars: gpu_instance_type: unknown instance type 'g9.huge'"
    ):
        build(topology, "prod", prices, terraform_root=root)


def test_a_price_table_missing_a_used_service_names_the_price(
    topology: Topology, prices: PriceTable
) -> None:
    from atelier.cost.estimate import estimate

    data = prices.model_dump(mode="json")
    del data["regions"]["eu-west-3"]["cloudwatch"]["synthetics_run"]
    table = parse(data)
    profile = build(topology, "prod", table)
    with pytest.raises(
        CostError, match=r"prices\.regions\.eu-west-3\.cloudwatch\.synthetics_run: missing"
    ):
        estimate(profile, table)


def test_the_tfvars_reader_takes_literals(tmp_path: Path) -> None:
    path = tmp_path / "x.tfvars"
    path.write_text('a = "s" # note\nb = true\nc = 3.5\nd = []\n')
    assert read_tfvars(path) == {"a": "s", "b": True, "c": 3.5}
    flags, _ = terraform_flags("prod")
    assert flags["enable_waf"] is True and flags["multi_az"] is True
    assert flags["enable_nat"] is True  # the stack's default
    flags, _ = terraform_flags("local")
    assert flags["enable_canary"] is False  # literal in envs/local/main.tf
