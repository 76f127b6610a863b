from __future__ import annotations

import datetime as dt

import pytest
import yaml

from atelier.cost.prices import PRICES_PATH, CostError, PriceTable, parse
from atelier.cost.usage import ITEMS


def test_the_price_table_is_not_older_than_its_max_age(prices: PriceTable) -> None:
    problem = prices.stale()
    assert problem is None, problem


def test_an_old_table_fails_with_how_to_refresh_it(prices: PriceTable) -> None:
    later = prices.as_of + dt.timedelta(days=prices.max_age_days + 1)
    problem = prices.stale(today=later)
    assert problem is not None
    assert "days old" in problem
    assert "sources" in problem and "as_of" in problem  # says how to refresh


@pytest.mark.parametrize("region", ["eu-west-3", "us-east-1"])
def test_every_priced_item_has_a_price_and_a_source_in_each_region(
    prices: PriceTable, region: str
) -> None:
    for key, item in ITEMS.items():
        params = {
            "ec2": ["g4dn.xlarge"],
            "rds": ["db.t4g.micro"],
        }.get(item.path[0], [""])
        for param in params:
            path = tuple(param if p == "{}" else p for p in item.path)
            assert prices.get(region, *path) >= 0, key
        assert prices.source(item.path[0]).startswith("https://aws.amazon.com/"), key


def test_a_missing_price_names_the_field(prices: PriceTable) -> None:
    with pytest.raises(CostError, match=r"prices\.regions\.eu-west-3\.fargate\.spot_hour: missing"):
        prices.get("eu-west-3", "fargate", "spot_hour")
    with pytest.raises(CostError, match=r"prices\.regions\.ap-south-9: no prices for region"):
        prices.get("ap-south-9", "fargate", "vcpu_hour")


def test_a_bad_table_names_the_field() -> None:
    data = yaml.safe_load(PRICES_PATH.read_text())
    data["as_of"] = "yesterday"
    with pytest.raises(CostError, match=r"prices\.as_of"):
        parse(data)


def test_spot_is_cheaper_than_on_demand(prices: PriceTable) -> None:
    for region in prices.regions:
        for kind in prices.regions[region]["ec2"]:
            od = prices.get(region, "ec2", kind, "on_demand_hour")
            assert prices.get(region, "ec2", kind, "spot_hour") < od
