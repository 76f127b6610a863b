"""Learning curves as JSON and as a PNG plot (matplotlib, Agg backend: no display)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from non_structured_al_data_images.al import ALResult, labels_to_reach

TARGET = 0.95


def curves_doc(result: ALResult, device: str, datasets: list[str]) -> dict[str, Any]:
    curves = result.curves()
    reach = {s: labels_to_reach(c, TARGET) for s, c in curves.items()}
    base = reach.get("random")
    savings = {
        s: (None if base is None or n is None else base - n)
        for s, n in reach.items()
        if s != "random"
    }
    return {
        "datasets": datasets,
        "device": device,
        "config": {k: v for k, v in result.config.__dict__.items() if k != "strategies"},
        "strategies": curves,
        "target_accuracy": TARGET,
        "labels_to_reach_target": reach,
        "label_savings_vs_random": savings,
        "best_strategy": result.best_strategy(),
    }


def plot_png(result: ALResult, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for name, curve in result.curves().items():
        ax.plot(
            [p["labels"] for p in curve],
            [p["accuracy"] for p in curve],
            marker="o",
            linestyle="--" if name == "random" else "-",
            label=name,
        )
    ax.axhline(TARGET, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("labelled images")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
