"""Pool-based active learning with the digits CNN: entropy and margin sampling vs random.

Every strategy starts from the same random labelled seed set. Each round it retrains the CNN
from scratch on its labelled set (``epochs`` passes, at least ``min_steps`` optimizer steps so
that tiny sets still train), measures held-out accuracy, then asks the oracle for ``batch`` more
labels chosen by its acquisition function. The pool's labels play the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ml_common.digits_net import DigitNet, predict_proba, to_tensor, train_net

STRATEGIES = ("random", "entropy", "margin")
Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class ALConfig:
    rounds: int = 5
    batch: int = 20
    epochs: int = 3
    initial: int = 20
    seed: int = 0
    min_steps: int = 120
    lr: float = 5e-3
    width: int = 8
    device: str = "cpu"
    strategies: tuple[str, ...] = STRATEGIES


@dataclass
class StrategyRun:
    labelled: list[int]
    curve: list[dict[str, float]] = field(default_factory=list)
    net: DigitNet | None = None


@dataclass
class ALResult:
    config: ALConfig
    runs: dict[str, StrategyRun]

    def curves(self) -> dict[str, list[dict[str, float]]]:
        return {name: run.curve for name, run in self.runs.items()}

    def best_strategy(self) -> str:
        """The strategy with the best final accuracy (ties: the first non-random one)."""
        order = sorted(
            self.runs, key=lambda s: (-self.runs[s].curve[-1]["accuracy"], s == "random")
        )
        return order[0]


def entropy_scores(proba: Array) -> Array:
    """Higher = more uncertain."""
    p = np.clip(proba, 1e-12, 1.0)
    return np.asarray(-(p * np.log(p)).sum(axis=1))


def margin_scores(proba: Array) -> Array:
    """Higher = more uncertain (negated gap between the two most likely classes)."""
    top2 = np.sort(proba, axis=1)[:, -2:]
    return np.asarray(-(top2[:, 1] - top2[:, 0]))


def acquire(
    strategy: str, proba: Array, candidates: Array, k: int, rng: np.random.Generator
) -> Array:
    """``k`` indices from ``candidates`` (pool indices, rows of ``proba``) to label next."""
    if strategy == "random":
        return np.asarray(rng.choice(candidates, size=min(k, len(candidates)), replace=False))
    scores = entropy_scores(proba) if strategy == "entropy" else margin_scores(proba)
    order = np.argsort(-scores, kind="stable")[:k]
    return np.asarray(candidates[order])


def fit(x: Array, y: Array, cfg: ALConfig, seed: int) -> DigitNet:
    torch.manual_seed(seed)
    net = DigitNet(n_classes=10, width=cfg.width)
    steps_per_epoch = max(1, math.ceil(len(x) / 32))
    epochs = max(cfg.epochs, math.ceil(cfg.min_steps / steps_per_epoch))
    return train_net(
        net,
        to_tensor(x),
        torch.from_numpy(y),
        epochs=epochs,
        seed=seed,
        lr=cfg.lr,
        batch_size=32,
        device=cfg.device,
    )


def run_active_learning(
    x_pool: Array,
    y_pool: Array,
    x_test: Array,
    y_test: Array,
    cfg: ALConfig,
    on_round: Callable[[int, int], None] | None = None,
) -> ALResult:
    """Run every strategy for ``cfg.rounds`` rounds; ``on_round(k, n)`` after each round."""
    rng = np.random.default_rng(cfg.seed)
    start = rng.choice(len(y_pool), size=min(cfg.initial, len(y_pool)), replace=False).tolist()
    runs = {s: StrategyRun(labelled=list(start)) for s in cfg.strategies}
    rngs = {s: np.random.default_rng(cfg.seed + 1 + i) for i, s in enumerate(cfg.strategies)}
    test_x = to_tensor(x_test)
    for k in range(cfg.rounds + 1):
        for name, run in runs.items():
            if k > 0:
                chosen = np.asarray(run.labelled)
                mask = np.ones(len(y_pool), dtype=bool)
                mask[chosen] = False
                candidates = np.flatnonzero(mask)
                assert run.net is not None
                proba = predict_proba(run.net, to_tensor(x_pool[candidates]), cfg.device)
                run.labelled += acquire(name, proba, candidates, cfg.batch, rngs[name]).tolist()
            idx = np.asarray(run.labelled)
            run.net = fit(x_pool[idx], y_pool[idx], cfg, seed=cfg.seed * 1000 + k)
            accuracy = float(
                (predict_proba(run.net, test_x, cfg.device).argmax(1) == y_test).mean()
            )
            run.curve.append({"labels": float(len(idx)), "accuracy": accuracy})
        if on_round is not None and k > 0:
            on_round(k, cfg.rounds)
    return ALResult(cfg, runs)


def rank_unlabelled(
    result: ALResult, strategy: str, x_pool: Array, ids: list[str], top: int = 100
) -> list[dict[str, Any]]:
    """The unlabelled pool items that ``strategy``'s final model most wants labelled next."""
    run = result.runs[strategy]
    assert run.net is not None
    mask = np.ones(len(ids), dtype=bool)
    mask[np.asarray(run.labelled)] = False
    candidates = np.flatnonzero(mask)
    proba = predict_proba(run.net, to_tensor(x_pool[candidates]), result.config.device)
    scores = margin_scores(proba) if strategy == "margin" else entropy_scores(proba)
    order = np.argsort(-scores, kind="stable")[:top]
    return [
        {
            "id": ids[candidates[i]],
            "score": round(float(scores[i]), 6),
            "predicted": int(proba[i].argmax()),
        }
        for i in order
    ]


def labels_to_reach(curve: list[dict[str, float]], target: float) -> float | None:
    """Fewest labels at which ``curve`` reaches ``target`` accuracy, or None."""
    return next((p["labels"] for p in curve if p["accuracy"] >= target), None)
