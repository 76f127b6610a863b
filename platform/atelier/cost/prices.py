"""The dated AWS price table shipped with the package (``prices.yaml``), checked on load.

``PriceTable.get(region, "fargate", "vcpu_hour")`` answers a price or raises :class:`CostError`
naming the missing field (``prices.regions.eu-west-3.fargate.vcpu_hour``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PRICES_PATH = Path(__file__).with_name("prices.yaml")
REFRESH_HINT = (
    "refresh it: open each `sources` page of platform/atelier/cost/prices.yaml for the region, "
    "update the prices, then set `as_of` to the day you checked"
)


class CostError(ValueError):
    """Bad cost input: the message names the field; raised before any number is printed."""


PriceNode = float | dict[str, Any]


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: dt.date
    max_age_days: int = Field(ge=1)
    currency: str
    sources: dict[str, str]
    rules: dict[str, float]
    regions: dict[str, dict[str, dict[str, PriceNode]]]

    def age_days(self, today: dt.date | None = None) -> int:
        return ((today or dt.date.today()) - self.as_of).days

    def stale(self, today: dt.date | None = None) -> str | None:
        age = self.age_days(today)
        if age > self.max_age_days:
            return (
                f"the price table is {age} days old (as_of {self.as_of}, max_age_days "
                f"{self.max_age_days}): {REFRESH_HINT}"
            )
        return None

    def has_region(self, region: str) -> bool:
        return region in self.regions

    def get(self, region: str, *path: str) -> float:
        where = f"prices.regions.{region}"
        if region not in self.regions:
            raise CostError(f"{where}: no prices for region {region!r}: {sorted(self.regions)}")
        node: Any = self.regions[region]
        for part in path:
            where += f".{part}"
            if not isinstance(node, dict) or part not in node:
                known = sorted(node) if isinstance(node, dict) else []
                raise CostError(f"{where}: missing from the price table (known: {known})")
            node = node[part]
        if not isinstance(node, int | float) or isinstance(node, bool) or node < 0:
            raise CostError(f"{where}: not a price: {node!r}")
        return float(node)

    def source(self, service: str) -> str:
        return self.sources.get(service, "")


def parse(data: object, source: str = str(PRICES_PATH)) -> PriceTable:
    try:
        return PriceTable.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise CostError(f"{source}: prices.{loc}: {err['msg']}") from None


@cache
def load(path: Path = PRICES_PATH) -> PriceTable:
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
