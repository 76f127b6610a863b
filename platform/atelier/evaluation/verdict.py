"""The verdict the production deployment consumes: promote, block, or manual_review."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from atelier.evaluation.candidate import EvaluatedModel
from atelier.evaluation.metrics import MetricComparison

Decision = Literal["promote", "block", "manual_review"]

# Largest acceptable worsening per metric, in the metric's own units (policy, reviewed in PRs).
DEFAULT_TOLERANCES: dict[str, float] = {
    "accuracy": 0.01,
    "macro_f1": 0.01,
    "roc_auc": 0.005,
    "log_loss": 0.05,
    "ece": 0.03,
}


@dataclass
class Verdict:
    decision: Decision
    reasons: list[str] = field(default_factory=list)
    breaking_changes: list[str] = field(default_factory=list)
    degraded_metrics: list[str] = field(default_factory=list)


def breaking_changes(baseline: EvaluatedModel, candidate: EvaluatedModel) -> list[str]:
    changes = []
    if baseline.features != candidate.features:
        added = sorted(set(candidate.features) - set(baseline.features))
        removed = sorted(set(baseline.features) - set(candidate.features))
        what = f"added {added}, removed {removed}" if added or removed else "reordered"
        changes.append(f"input schema changed: {what}")
    if baseline.labels != candidate.labels:
        changes.append(f"label set changed: {baseline.labels} -> {candidate.labels}")
    return changes


def decide(
    baseline: EvaluatedModel,
    candidate: EvaluatedModel,
    comparisons: list[MetricComparison],
    tolerances: dict[str, float] | None = None,
) -> Verdict:
    """Degraded beyond tolerance → block; a breaking change → manual review; else promote."""
    limits = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    degraded = [
        f"{c.name} worsened by {c.worsening:.4f} (tolerance {limits[c.name]}): "
        f"{c.baseline:.4f} -> {c.candidate:.4f}, 95% CI of delta [{c.ci_low:.4f}, {c.ci_high:.4f}]"
        for c in comparisons
        if c.name in limits and c.worsening > limits[c.name]
    ]
    breaking = breaking_changes(baseline, candidate)
    if degraded:
        return Verdict("block", degraded + breaking, breaking, degraded)
    if breaking:
        return Verdict("manual_review", breaking, breaking, [])
    return Verdict("promote", ["no metric worsened beyond its tolerance; no breaking change"])
