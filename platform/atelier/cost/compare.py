"""Several environments side by side, and what-if variants of one environment."""

from __future__ import annotations

from dataclasses import dataclass

from atelier.cost.estimate import Estimate, estimate
from atelier.cost.prices import PriceTable
from atelier.cost.profile import WhatIf, build
from atelier.cost.usage import SERVICES, by
from atelier.topology.models import Topology


@dataclass(frozen=True)
class Comparison:
    estimates: list[Estimate]

    def rows(self) -> list[tuple[str, list[float]]]:
        per = [by(e.lines, "service") for e in self.estimates]
        names = [s for s in SERVICES if any(s in p for p in per)]
        return [(name, [p.get(name, 0.0) for p in per]) for name in names]

    @property
    def totals(self) -> list[float]:
        return [e.total for e in self.estimates]

    def markdown(self) -> str:
        envs = [e.env for e in self.estimates]
        out = ["| service | " + " | ".join(envs) + " |", "|---|" + "---:|" * len(envs)]
        for name, values in self.rows():
            out.append(f"| {name} | " + " | ".join(f"{v:,.2f}" for v in values) + " |")
        out.append("| **total** | " + " | ".join(f"**{t:,.2f}**" for t in self.totals) + " |")
        return "\n".join(out)

    def as_dict(self) -> dict[str, object]:
        return {
            "environments": [e.env for e in self.estimates],
            "by_service": {n: [round(v, 2) for v in vals] for n, vals in self.rows()},
            "monthly_total_usd": [round(t, 2) for t in self.totals],
        }

    def print_rich(self) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="USD a month by service")
        table.add_column("service")
        for e in self.estimates:
            table.add_column(f"{e.env} ({e.region})", justify="right")
        for name, values in self.rows():
            table.add_row(name, *(f"{v:,.2f}" for v in values))
        table.add_row("[b]total[/b]", *(f"[b]{t:,.2f}[/b]" for t in self.totals))
        Console().print(table)


def compare(
    topology: Topology, envs: list[str], prices: PriceTable, whatif: WhatIf | None = None
) -> Comparison:
    profiles = [build(topology, env, prices, whatif) for env in envs]  # all checked first
    return Comparison([estimate(p, prices) for p in profiles])
