"""The cheapest safe changes the model can price, each with its monthly saving.

Each recommendation is a what-if priced against the baseline; only savings above one cent are
kept. "Safe" means the change keeps the platform's guarantees: spot for the GPU task (a batch
job that can be submitted again after an interruption), a slower canary outside prod, the
preprod schedule (used a few days a month) and the NAT layout (one shared NAT is the module's
design; outside prod the tasks' S3/DynamoDB traffic uses gateway endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass

from atelier.cost.estimate import estimate
from atelier.cost.prices import PriceTable
from atelier.cost.profile import WhatIf, build
from atelier.topology.models import Topology


@dataclass(frozen=True)
class Recommendation:
    title: str
    flag: str
    saving_usd: float
    why: str


def _candidates(env: str) -> list[tuple[str, str, WhatIf, str]]:
    out = [
        (
            "Run the GPU task on spot instances",
            "--gpu-spot",
            WhatIf(gpu_spot=True),
            "a batch job: a run stopped by a spot interruption can be submitted again",
        )
    ]
    if env != "prod":
        out.append(
            (
                "Canary every 5 minutes outside prod",
                "--canary-every 5",
                WhatIf(canary_every_minutes=5),
                "prod keeps the one-minute check the users asked for",
            )
        )
        out.append(
            (
                "Stop the service and RDS at night and weekends",
                "--night-off",
                WhatIf(night_off=True),
                f"{env} has traffic on a few days a month only",
            )
        )
        out.append(
            (
                "Drop the NAT gateway",
                "--no-nat",
                WhatIf(no_nat=True),
                "S3 and DynamoDB go through gateway endpoints; only http(s) input links need NAT",
            )
        )
    return out


def recommend(topology: Topology, env: str, prices: PriceTable) -> list[Recommendation]:
    base = estimate(build(topology, env, prices), prices).total
    out = []
    for title, flag, whatif, why in _candidates(env):
        saving = base - estimate(build(topology, env, prices, whatif), prices).total
        if saving > 0.01:
            out.append(Recommendation(title, flag, saving, why))
    return sorted(out, key=lambda r: -r.saving_usd)
