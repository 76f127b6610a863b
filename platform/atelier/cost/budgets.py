"""Budgets from the estimate: ``terraform/modules/budgets/budgets.json`` and the local alarm.

The JSON holds, per AWS environment, the estimate and the budget (estimate plus ``MARGIN``
percent, rounded up to 10 USD); the budgets module reads it (ACTUAL and FORECASTED
notifications to the alert topic). ``tests/unit/cost/test_budgets.py`` fails when the file
drifts from the estimate. Locally, :func:`check` publishes the same alert to the runtime's
alert topic when a metered (or forecast) cost crosses a threshold.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atelier.config import find_repo_root
from atelier.cost.estimate import estimate
from atelier.cost.prices import PriceTable
from atelier.cost.profile import build
from atelier.topology.models import Topology

BUDGETS_JSON = Path("terraform") / "modules" / "budgets" / "budgets.json"  # in the checkout
MARGIN_PERCENT = 25
AWS_ENVS = ("qa", "preprod", "prod")
THRESHOLDS = {"ACTUAL": (50.0, 80.0, 100.0), "FORECASTED": (100.0,)}


def budget_for(estimate_usd: float, margin_percent: float = MARGIN_PERCENT) -> int:
    return int(math.ceil(estimate_usd * (1 + margin_percent / 100) / 10.0) * 10)


def generate(topology: Topology, prices: PriceTable) -> dict[str, Any]:
    envs: dict[str, Any] = {}
    for env in AWS_ENVS:
        if env not in topology.environments:
            continue
        total = estimate(build(topology, env, prices), prices).total
        envs[env] = {"estimate_usd": round(total, 2), "budget_usd": budget_for(total)}
    return {
        "generated_by": "atelier cost budgets --write",
        "margin_percent": MARGIN_PERCENT,
        "prices_as_of": prices.as_of.isoformat(),
        "environments": envs,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def committed_path(path: Path | None = None) -> Path:
    """``path``, else the checkout's budgets file."""
    return path or find_repo_root() / BUDGETS_JSON


def write(topology: Topology, prices: PriceTable, path: Path | None = None) -> dict[str, Any]:
    path = committed_path(path)
    data = generate(topology, prices)
    path.write_text(render(data), encoding="utf-8")
    return data


def drift(topology: Topology, prices: PriceTable, path: Path | None = None) -> str | None:
    """None when the committed file matches the estimate, else what differs and the fix."""
    path = committed_path(path)
    want = generate(topology, prices)
    try:
        have = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{path}: unreadable ({exc}); run `atelier cost budgets --write`"
    if have != want:
        diffs = [
            f"{env}: committed {have.get('environments', {}).get(env)} != estimate {want['environments'][env]}"
            for env in want["environments"]
            if have.get("environments", {}).get(env) != want["environments"][env]
        ] or ["header fields differ"]
        return f"{path} drifted from the estimate ({'; '.join(diffs)}): run `atelier cost budgets --write`"
    return None


@dataclass(frozen=True)
class Alert:
    kind: str  # ACTUAL or FORECASTED
    threshold: float
    amount_usd: float
    budget_usd: float

    def message(self, env: str) -> dict[str, Any]:
        return {
            "source": "atelier.cost",
            "budget": f"atelier-{env}-monthly",
            "notificationType": self.kind,
            "thresholdPercent": self.threshold,
            "amountUsd": round(self.amount_usd, 2),
            "budgetUsd": self.budget_usd,
            "text": f"{self.kind} cost {self.amount_usd:.2f} USD is over {self.threshold:g}% "
            f"of the {self.budget_usd:g} USD budget of {env}",
        }


def crossed(actual_usd: float, forecast_usd: float, budget_usd: float) -> list[Alert]:
    """Every threshold crossed, as AWS Budgets would notify (GREATER_THAN, PERCENTAGE)."""
    out = []
    for kind, thresholds in THRESHOLDS.items():
        amount = actual_usd if kind == "ACTUAL" else forecast_usd
        for t in thresholds:
            if budget_usd > 0 and amount > budget_usd * t / 100:
                out.append(Alert(kind, t, amount, budget_usd))
    return out


def publish(alerts: list[Alert], env: str, sns: Any, topic_arn: str) -> int:
    for alert in alerts:
        sns.publish(
            TopicArn=topic_arn,
            Subject=f"AWS Budgets: atelier-{env}-monthly {alert.kind} {alert.threshold:g}%",
            Message=json.dumps(alert.message(env)),
        )
    return len(alerts)


def committed_budget(env: str, path: Path | None = None) -> float | None:
    try:
        data = json.loads(committed_path(path).read_text(encoding="utf-8"))
        return float(data["environments"][env]["budget_usd"])
    except (OSError, ValueError, KeyError):
        return None


def alert_topic_arn(sns: Any, env: str = "local") -> str | None:
    """The runtime's alert topic (``atelier-<env>-alerts``, made by ``atelier deploy``)."""
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].endswith(f":atelier-{env}-alerts"):
                return str(topic["TopicArn"])
    return None


def publish_local(alerts: list[Alert], env: str, endpoint: str, region: str) -> int:
    """Publish to the local runtime's alert topic; 0 when it has none (not deployed)."""
    from atelier.cost.client import runtime_client

    sns = runtime_client("sns", endpoint, region)
    topic = alert_topic_arn(sns)
    if topic is None:
        return 0
    return publish(alerts, env, sns, topic)
