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


# Every metric is primary: a candidate significantly worse on any of them is blocked.
PRIMARY = ("accuracy", "macro_f1", "roc_auc", "log_loss", "ece")
ALPHA = 0.05  # family-wise error rate of the "significantly worse" tests (Holm)
# Smallest accuracy drop the validation set must be able to detect with 80 % power (policy).
MDE: dict[str, float] = {"structured_data": 0.05, "digits_cnn": 0.03, "al_digits": 0.03}


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


@dataclass(frozen=True)
class PowerCheck:
    """Is the validation set large enough to see a drop of ``mde`` in accuracy?"""

    rows: int
    required: int
    mde: float
    power: float = 0.8
    alpha: float = 0.05

    @property
    def enough(self) -> bool:
        return self.rows >= self.required

    def describe(self) -> str:
        return (
            f"{self.rows} validation rows; {self.required} needed for power {self.power:.0%} to "
            f"detect an accuracy drop of {self.mde:.3f} (one-sided paired test, alpha {self.alpha})"
        )


def decide(
    baseline: EvaluatedModel,
    candidate: EvaluatedModel,
    comparisons: list[MetricComparison],
    tolerances: dict[str, float] | None = None,
    power: PowerCheck | None = None,
) -> Verdict:
    """The rules, in order:

    1. a primary metric significantly worse (paired bootstrap, Holm-adjusted p < ALPHA) by more
       than its tolerance → block;
    2. significantly worse but within its tolerance → manual_review (real, maybe acceptable);
    3. a breaking change (schema, label set) → manual_review;
    4. a metric worse than its tolerance without significance → manual_review (the data cannot
       tell noise from a regression);
    5. a validation set too small for the stated power → manual_review;
    6. otherwise promote: no primary metric is significantly worse.
    """
    limits = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    worse = [c for c in comparisons if c.name in PRIMARY and c.worsening > 0 and c.p_holm < ALPHA]

    def said(c: MetricComparison) -> str:
        return (
            f"{c.name} significantly worse: {c.baseline:.4f} -> {c.candidate:.4f} "
            f"(delta {c.delta:+.4f}, 95% CI [{c.ci_low:+.4f}, {c.ci_high:+.4f}], "
            f"p={c.p_worse:.4f}, Holm-adjusted p={c.p_holm:.4f} < {ALPHA})"
        )

    significant = [
        said(c) + f", beyond its tolerance {limits.get(c.name, 0.0)}"
        for c in worse
        if c.worsening > limits.get(c.name, 0.0)
    ]
    small = [
        said(c) + f", within its tolerance {limits[c.name]}: a person decides"
        for c in worse
        if c.worsening <= limits.get(c.name, 0.0)
    ]
    beyond = [
        f"{c.name} worse by {c.worsening:.4f}, beyond its tolerance {limits[c.name]} but not "
        f"significant (Holm-adjusted p={c.p_holm:.4f})"
        for c in comparisons
        if c.name in limits and c.worsening > limits[c.name] and c.p_holm >= ALPHA
    ]
    breaking = breaking_changes(baseline, candidate)
    if significant:
        return Verdict("block", significant + small + breaking, breaking, significant + small)
    reasons = breaking + small + beyond
    if power is not None and not power.enough:
        reasons.append("validation set too small: " + power.describe())
    if reasons:
        return Verdict("manual_review", reasons, breaking, small + beyond)
    why = [
        "no primary metric significantly worse (paired bootstrap, Holm-adjusted, "
        f"alpha {ALPHA}); none beyond its tolerance; no breaking change"
    ]
    if power is not None:
        why.append(power.describe())
    return Verdict("promote", why)
