"""Metrics, their deltas and paired-bootstrap confidence intervals."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

Metric = Callable[[NDArray[np.int64], NDArray[np.float64]], float]


def _auc(y: NDArray[np.int64], p: NDArray[np.float64]) -> float:
    if p.shape[1] == 2:
        return float(roc_auc_score(y, p[:, 1]))
    return float(roc_auc_score(y, p, multi_class="ovr", labels=list(range(p.shape[1]))))


def _ece(y: NDArray[np.int64], p: NDArray[np.float64], bins: int = 10) -> float:
    """Expected calibration error of the top-class confidence."""
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence > lo) & (confidence <= hi)
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


METRICS: dict[str, tuple[Metric, bool]] = {
    # name: (function, higher is better)
    "accuracy": (lambda y, p: float(accuracy_score(y, p.argmax(axis=1))), True),
    "macro_f1": (lambda y, p: float(f1_score(y, p.argmax(axis=1), average="macro")), True),
    "roc_auc": (_auc, True),
    "log_loss": (
        lambda y, p: float(log_loss(y, np.clip(p, 1e-12, 1), labels=list(range(p.shape[1])))),
        False,
    ),
    "ece": (_ece, False),
}


@dataclass
class MetricComparison:
    name: str
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    higher_is_better: bool

    @property
    def worsening(self) -> float:
        """How much worse the candidate is (positive = worse), in the metric's own units."""
        return -self.delta if self.higher_is_better else self.delta


def compare(
    y: NDArray[np.int64],
    baseline: NDArray[np.float64],
    candidate: NDArray[np.float64],
    n_boot: int = 400,
    seed: int = 7,
) -> list[MetricComparison]:
    """Each metric for both models and a 95% paired-bootstrap CI of (candidate - baseline)."""
    rng = np.random.default_rng(seed)
    samples = [rng.integers(0, len(y), len(y)) for _ in range(n_boot)]
    out = []
    for name, (fn, higher) in METRICS.items():
        b, c = fn(y, baseline), fn(y, candidate)
        deltas = []
        for idx in samples:
            if len(np.unique(y[idx])) < 2:
                continue
            try:
                deltas.append(fn(y[idx], candidate[idx]) - fn(y[idx], baseline[idx]))
            except ValueError:
                continue
        low, high = np.percentile(deltas, [2.5, 97.5]) if deltas else (c - b, c - b)
        out.append(MetricComparison(name, b, c, c - b, float(low), float(high), higher))
    return out
