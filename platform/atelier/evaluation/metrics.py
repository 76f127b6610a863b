"""Metrics, their deltas and paired-bootstrap confidence intervals."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

Metric = Callable[[NDArray[np.int64], NDArray[np.float64]], float]


# Metrics in plain numpy: the paired bootstrap evaluates each one a thousand times, and
# scikit-learn's input validation costs more than the arithmetic. test_metrics.py checks that
# each equals scikit-learn's on the same inputs.


def _accuracy(y: NDArray[np.int64], p: NDArray[np.float64]) -> float:
    return float(np.mean(p.argmax(axis=1) == y))


def _macro_f1(y: NDArray[np.int64], p: NDArray[np.float64]) -> float:
    pred = p.argmax(axis=1)
    k = p.shape[1]
    tp = np.bincount(y[pred == y], minlength=k)
    denominator = np.bincount(pred, minlength=k) + np.bincount(y, minlength=k)
    present = denominator > 0
    return float(np.mean(2 * tp[present] / denominator[present]))


def _binary_auc(truth: NDArray[np.bool_], score: NDArray[np.float64]) -> float:
    n_pos = int(truth.sum())
    n_neg = len(truth) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC-AUC needs both classes")
    ranks = rankdata(score)
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _auc(y: NDArray[np.int64], p: NDArray[np.float64]) -> float:
    if p.shape[1] == 2:
        return _binary_auc(y == 1, p[:, 1])
    # One-vs-rest, macro over the classes the labels hold: a class the model can answer but the
    # validation set never holds (the digits CNN's "none") has no positive to rank.
    return float(np.mean([_binary_auc(y == k, p[:, k]) for k in np.unique(y)]))


def _log_loss(y: NDArray[np.int64], p: NDArray[np.float64]) -> float:
    rows = np.clip(p, 1e-12, 1)
    rows = rows / rows.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(rows[np.arange(len(y)), y])))


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
    "accuracy": (_accuracy, True),
    "macro_f1": (_macro_f1, True),
    "roc_auc": (_auc, True),
    "log_loss": (_log_loss, False),
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
    # one-sided bootstrap p-value of "the candidate is not worse" and its Holm adjustment
    p_worse: float = 1.0
    p_holm: float = 1.0

    @property
    def worsening(self) -> float:
        """How much worse the candidate is (positive = worse), in the metric's own units."""
        return -self.delta if self.higher_is_better else self.delta


def compare(
    y: NDArray[np.int64],
    baseline: NDArray[np.float64],
    candidate: NDArray[np.float64],
    n_boot: int = 1000,
    seed: int = 7,
) -> list[MetricComparison]:
    """Each metric for both models, a 95% paired-bootstrap CI of (candidate - baseline), and a
    one-sided paired-bootstrap p-value that the candidate is worse, Holm-adjusted over the
    metrics (the family of tests one verdict rests on)."""
    rng = np.random.default_rng(seed)
    samples = [rng.integers(0, len(y), len(y)) for _ in range(n_boot)]
    out = []
    for name, (fn, higher) in METRICS.items():
        b, c = fn(y, baseline), fn(y, candidate)
        deltas = []
        for idx in samples:
            if name == "roc_auc" and len(np.unique(y[idx])) < 2:
                continue
            try:
                deltas.append(fn(y[idx], candidate[idx]) - fn(y[idx], baseline[idx]))
            except ValueError:
                continue
        low, high = np.percentile(deltas, [2.5, 97.5]) if deltas else (c - b, c - b)
        p = bootstrap_p_worse(np.asarray(deltas, dtype=float), higher)
        out.append(MetricComparison(name, b, c, c - b, float(low), float(high), higher, p))
    for comparison, adjusted in zip(out, holm([c.p_worse for c in out]), strict=True):
        comparison.p_holm = adjusted
    return out


def bootstrap_p_worse(deltas: NDArray[np.float64], higher_is_better: bool) -> float:
    """P-value of H0 "the candidate is not worse", from the paired bootstrap distribution of the
    delta (CI inversion: the share of resamples in which the candidate is not worse)."""
    if len(deltas) == 0:
        return 1.0
    worsening = -deltas if higher_is_better else deltas
    return float((1 + np.count_nonzero(worsening <= 0)) / (len(deltas) + 1))


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone), in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def required_rows(
    baseline_correct: NDArray[np.bool_],
    candidate_correct: NDArray[np.bool_],
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Rows a one-sided paired test of accuracy needs to detect a drop of ``mde`` with ``power``.

    The variance of the per-row difference in correctness is the observed one, but never below
    ``mde * (1 - mde)``: a candidate really worse by ``mde`` disagrees on at least that share."""
    from scipy.stats import norm

    diff = candidate_correct.astype(float) - baseline_correct.astype(float)
    variance = max(float(np.var(diff, ddof=1)) if len(diff) > 1 else 0.0, mde * (1 - mde))
    z = float(norm.ppf(1 - alpha) + norm.ppf(power))
    return int(np.ceil(z * z * variance / (mde * mde)))
