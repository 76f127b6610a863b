"""The evaluation's figures, as PNG files a person would rather look at than read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    confusion_matrix,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_curve,
)

from atelier.evaluation.candidate import Predictions

COLORS = {"baseline": "#7a7a7a", "candidate": "#2f6fd0"}


def _save(fig: Figure, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def _positive_scores(
    y: NDArray[np.int64], p: NDArray[np.float64]
) -> list[tuple[str, NDArray[np.int64], NDArray[np.float64]]]:
    """One-vs-rest curves: the positive class for binary models, every class otherwise."""
    if p.shape[1] == 2:
        return [("", (y == 1).astype(int), p[:, 1])]
    return [(f" class {k}", (y == k).astype(int), p[:, k]) for k in range(p.shape[1])]


def confusion(y: NDArray[np.int64], runs: dict[str, Predictions], out: Path) -> str:
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.8))
    for ax, (role, pred) in zip(np.atleast_1d(axes), runs.items(), strict=True):
        matrix = confusion_matrix(y, pred.predicted, labels=range(pred.probabilities.shape[1]))
        ax.imshow(matrix, cmap="Blues")
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
        ticks = range(matrix.shape[0])
        ax.set(
            title=f"{role} {pred.version}",
            xlabel="predicted",
            ylabel="true",
            xticks=ticks,
            yticks=ticks,
        )
    return _save(fig, out / "confusion.png")


def curves(y: NDArray[np.int64], runs: dict[str, Predictions], out: Path) -> list[str]:
    roc, (ax_roc) = plt.subplots(figsize=(4.5, 4))
    pr, (ax_pr) = plt.subplots(figsize=(4.5, 4))
    for role, pred in runs.items():
        for i, (suffix, truth, score) in enumerate(_positive_scores(y, pred.probabilities)):
            label = f"{role}{suffix}" if i == 0 or not suffix else None
            fpr, tpr, _ = roc_curve(truth, score)
            ax_roc.plot(fpr, tpr, color=COLORS[role], alpha=0.8, lw=1, label=label)
            precision, recall, _ = precision_recall_curve(truth, score)
            ax_pr.plot(recall, precision, color=COLORS[role], alpha=0.8, lw=1, label=label)
    ax_roc.plot([0, 1], [0, 1], ls=":", color="k", lw=0.8)
    ax_roc.set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
    ax_pr.set(title="Precision-recall", xlabel="recall", ylabel="precision")
    ax_roc.legend(loc="lower right")
    ax_pr.legend(loc="lower left")
    return [_save(roc, out / "roc.png"), _save(pr, out / "pr.png")]


def calibration(y: NDArray[np.int64], runs: dict[str, Predictions], out: Path) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for role, pred in runs.items():
        correct = (pred.predicted == y).astype(int)
        frac, mean = calibration_curve(
            correct, pred.probabilities.max(axis=1), n_bins=8, strategy="quantile"
        )
        ax.plot(mean, frac, marker="o", color=COLORS[role], label=role)
    ax.plot([0, 1], [0, 1], ls=":", color="k", lw=0.8)
    ax.set(title="Calibration (top-class confidence)", xlabel="confidence", ylabel="accuracy")
    ax.legend()
    return _save(fig, out / "calibration.png")


def per_class(y: NDArray[np.int64], runs: dict[str, Predictions], out: Path) -> str:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.38
    for i, (role, pred) in enumerate(runs.items()):
        classes = range(pred.probabilities.shape[1])
        _, _, f1, _ = precision_recall_fscore_support(
            y, pred.predicted, labels=list(classes), zero_division=0
        )
        ax.bar(np.arange(len(f1)) + i * width, f1, width, color=COLORS[role], label=role)
    n_classes = next(iter(runs.values())).probabilities.shape[1]
    ax.set(
        title="F1 per class",
        xlabel="class",
        ylabel="F1",
        ylim=(0, 1.05),
        xticks=np.arange(n_classes) + width / 2,
        xticklabels=[str(k) for k in range(n_classes)],
    )
    ax.legend()
    return _save(fig, out / "per_class.png")


def latency(runs: dict[str, Predictions], out: Path) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    for role, pred in runs.items():
        ax.hist(pred.latency_ms, bins=20, alpha=0.6, color=COLORS[role], label=role)
    ax.set(title="Latency per row (ms)", xlabel="ms", ylabel="rows")
    ax.legend()
    return _save(fig, out / "latency.png")


def disagreement(y: NDArray[np.int64], runs: dict[str, Predictions], out: Path) -> str:
    base, cand = runs["baseline"], runs["candidate"]
    differs = base.predicted != cand.predicted
    fig, ax = plt.subplots(figsize=(4.5, 4))
    conf_b, conf_c = base.probabilities.max(axis=1), cand.probabilities.max(axis=1)
    ax.scatter(conf_b[~differs], conf_c[~differs], s=8, color="#bbbbbb", label="agree")
    right = differs & (cand.predicted == y)
    ax.scatter(conf_b[right], conf_c[right], s=14, color="#2a9d55", label="candidate right")
    wrong = differs & (cand.predicted != y)
    ax.scatter(conf_b[wrong], conf_c[wrong], s=14, color="#d04a2f", label="candidate wrong")
    ax.set(
        title=f"Disagreements: {int(differs.sum())} of {len(y)}",
        xlabel="baseline confidence",
        ylabel="candidate confidence",
    )
    ax.legend(fontsize=7)
    return _save(fig, out / "disagreement.png")
