"""Train the digits CNN (10 digits + "none"): fixed seeds, held-out digits accuracy.

python -m non_structured_data_images.train --out DIR   writes model.pt and metrics.json
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ml_common.digits_net import (
    DigitNet,
    predict_proba,
    seed_everything,
    set_threads,
    to_bytes,
    to_tensor,
    train_net,
)
from ml_common.training import train_cli
from non_structured_data_images.tiles import NONE_CLASS, background_grids, digits

MODEL_NAME = "digits_cnn"
SPLIT_SEED = 42
PARAMS: dict[str, Any] = {"seed": 0, "epochs": 10, "lr": 5e-3, "width": 16, "n_background": 1500}


@dataclass(frozen=True)
class TrainResult:
    net: DigitNet
    metrics: dict[str, float]
    params: dict[str, Any]
    data_hash: str
    test_x: np.ndarray[Any, Any]
    test_y: np.ndarray[Any, Any]

    @property
    def model_bytes(self) -> bytes:
        return to_bytes(self.net)


def split_indices() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Train and held-out indices into scikit-learn's digits (stratified, fixed seed)."""
    _, y = digits()
    train_idx, test_idx = train_test_split(
        np.arange(len(y)), test_size=0.25, random_state=SPLIT_SEED, stratify=y
    )
    return np.asarray(train_idx), np.asarray(test_idx)


def split_digits() -> tuple[np.ndarray[Any, Any], ...]:
    """(x_train, x_test, y_train, y_test) of the digits."""
    x, y = digits()
    train_idx, test_idx = split_indices()
    return x[train_idx], x[test_idx], y[train_idx], y[test_idx]


def _shifted(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Each grid plus its four one-pixel shifts (the tile grid never aligns perfectly)."""
    out = [x]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(x, step, axis=axis)
        edge = 0 if step == 1 else -1
        if axis == 1:
            moved[:, edge, :] = 0
        else:
            moved[:, :, edge] = 0
        out.append(moved)
    return np.concatenate(out)


def training_set(params: dict[str, Any] | None = None) -> tuple[np.ndarray[Any, Any], ...]:
    """(x, y) the net is trained on: the training digits with their one-pixel shifts, and
    ``n_background`` non-digit grids labelled "none"."""
    p = {**PARAMS, **(params or {})}
    x_tr, _, y_tr, _ = split_digits()
    bg_tr = background_grids(int(p["n_background"]), seed=1)
    x_all = np.concatenate([_shifted(x_tr), bg_tr])
    y_all = np.concatenate([np.tile(y_tr, 5), np.full(len(bg_tr), NONE_CLASS)])
    return x_all, y_all


def fit(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], params: dict[str, Any]) -> DigitNet:
    """A fresh net trained on (x, y) with the seed, epochs, learning rate and width of
    ``params`` (merged over PARAMS)."""
    p = {**PARAMS, **params}
    set_threads()
    seed_everything(int(p["seed"]))
    net = DigitNet(n_classes=NONE_CLASS + 1, width=int(p["width"]))
    return train_net(
        net,
        to_tensor(x),
        torch.from_numpy(np.asarray(y, dtype=np.int64)),
        epochs=int(p["epochs"]),
        seed=int(p["seed"]),
        lr=float(p["lr"]),
    )


def train(params: dict[str, Any] | None = None) -> TrainResult:
    p = {**PARAMS, **(params or {})}
    x_all, y_all = training_set(p)
    net = fit(x_all, y_all, p)
    _, x_te, _, y_te = split_digits()
    bg_te = background_grids(300, seed=2)
    digit_pred = predict_proba(net, to_tensor(x_te)).argmax(axis=1)
    bg_pred = predict_proba(net, to_tensor(bg_te)).argmax(axis=1)
    metrics = {
        "accuracy": float((digit_pred == y_te).mean()),
        "background_rejection": float((bg_pred == NONE_CLASS).mean()),
        "n_train": float(len(x_all)),
        "n_test": float(len(x_te)),
    }
    h = hashlib.sha256(np.ascontiguousarray(x_all).tobytes() + y_all.tobytes()).hexdigest()[:16]
    return TrainResult(net, metrics, p, h, x_te, y_te)


def main(argv: list[str] | None = None) -> None:
    train_cli(__doc__, train, "model.pt", argv, model_name=MODEL_NAME)


if __name__ == "__main__":
    main()
