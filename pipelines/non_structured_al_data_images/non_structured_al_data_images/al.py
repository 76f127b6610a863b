"""Pool-based active learning with the digits CNN: entropy and margin sampling vs random.

Every strategy starts from the same random labelled seed set (so the first point of every
curve is the same). Each round it retrains the CNN from scratch on its labelled set (``epochs``
passes, at least ``min_steps`` optimizer steps so that tiny sets still train), measures held-out
accuracy, then asks the oracle for ``batch`` more labels. The pool's labels play the oracle.

Batches are chosen as in diverse mini-batch active learning (Zhdanov, 2019): the
``prefilter * batch`` most uncertain candidates (entropy or margin) are clustered by weighted
k-means (weights: uncertainty) on the CNN's penultimate-layer embedding into ``batch`` clusters,
and the candidate nearest each centre is labelled. Plain top-k uncertainty (``prefilter=1``)
fills a batch with near-duplicates and, while the model is still weak, with outliers: it lags
random sampling at small budgets (cold start); the diverse batch does not.
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
    prefilter: int = 10  # uncertainty shortlist = prefilter * batch; 1 = plain top-k


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


def embed(net: DigitNet, x: torch.Tensor, device: str = "cpu") -> Array:
    """The CNN's penultimate-layer features (after the hidden ReLU, before dropout)."""
    net.to(device).eval()
    trunk = net.head[:-2]  # Flatten, Linear, ReLU
    with torch.no_grad():
        out = [
            trunk(net.features(x[i : i + 1024].to(device))).cpu() for i in range(0, len(x), 1024)
        ]
    return torch.cat(out).numpy() if out else np.zeros((0, 64), dtype=np.float32)


def _sq_dist(z: Array, c: Array) -> Array:
    return np.asarray(((z[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))


def weighted_kmeans(
    z: Array, k: int, weights: Array, rng: np.random.Generator, iters: int = 25
) -> tuple[Array, Array]:
    """k-means++ seeding and Lloyd steps with per-point weights -> (assignment, distances)."""
    n = len(z)
    first = rng.choice(n, p=weights / weights.sum())
    centres = [z[first]]
    d2 = ((z - z[first]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = weights * d2
        i = rng.choice(n, p=p / p.sum()) if p.sum() > 0 else int(rng.integers(n))
        centres.append(z[i])
        d2 = np.minimum(d2, ((z - z[i]) ** 2).sum(axis=1))
    c = np.stack(centres)
    for _ in range(iters):
        assign = _sq_dist(z, c).argmin(axis=1)
        new = c.copy()
        for j in range(k):
            members = assign == j
            if members.any():
                w = weights[members, None]
                new[j] = (w * z[members]).sum(axis=0) / w.sum()
        if np.allclose(new, c):
            break
        c = new
    dist = _sq_dist(z, c)
    return dist.argmin(axis=1), dist


def acquire(
    strategy: str,
    proba: Array,
    candidates: Array,
    k: int,
    rng: np.random.Generator,
    embedding: Array | None = None,
    prefilter: int = 1,
) -> Array:
    """``k`` indices from ``candidates`` (pool indices, rows of ``proba`` and ``embedding``).

    ``random``: uniform. ``entropy``/``margin``: the ``k`` most uncertain, or, with an
    embedding and ``prefilter > 1``, one per weighted k-means cluster of the
    ``prefilter * k`` most uncertain (the member nearest its centre).
    """
    if strategy == "random":
        return np.asarray(rng.choice(candidates, size=min(k, len(candidates)), replace=False))
    scores = entropy_scores(proba) if strategy == "entropy" else margin_scores(proba)
    ranked = np.argsort(-scores, kind="stable")
    shortlist = ranked[: max(1, prefilter) * k]
    if embedding is None or prefilter <= 1 or len(shortlist) <= k:
        return np.asarray(candidates[ranked[:k]])
    weights = scores[shortlist] - scores.min() + 1e-6  # uncertainty, shifted positive
    assign, dist = weighted_kmeans(embedding[shortlist], k, weights, rng)
    picked = [
        int(shortlist[members[np.argmin(dist[members, j])]])
        for j in range(k)
        if len(members := np.flatnonzero(assign == j))
    ]
    taken = set(picked)
    picked += [int(i) for i in shortlist if int(i) not in taken][: k - len(picked)]
    return np.asarray(candidates[np.asarray(picked)])


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
                x_cand = to_tensor(x_pool[candidates])
                proba = predict_proba(run.net, x_cand, cfg.device)
                emb = embed(run.net, x_cand, cfg.device) if name != "random" else None
                picked = acquire(name, proba, candidates, cfg.batch, rngs[name], emb, cfg.prefilter)
                run.labelled += picked.tolist()
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
