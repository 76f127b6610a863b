"""The reference model for active learning: the same CNN trained on every label of the pools.

Its accuracy is the ceiling the learning curves climb towards; it is stored as a candidate of
``al_digits_cnn`` by the seed. Data comes in as arrays (the seed reads them from the pools).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ml_common.digits_net import (
    DigitNet,
    predict_proba,
    seed_everything,
    set_threads,
    to_bytes,
    to_tensor,
    train_net,
)

MODEL_NAME = "al_digits_cnn"
PARAMS: dict[str, Any] = {"seed": 0, "epochs": 15, "lr": 5e-3, "width": 8}


@dataclass(frozen=True)
class TrainResult:
    net: DigitNet
    metrics: dict[str, float]
    params: dict[str, Any]
    data_hash: str

    @property
    def model_bytes(self) -> bytes:
        return to_bytes(self.net)


def train(
    x_train: np.ndarray[Any, Any],
    y_train: np.ndarray[Any, Any],
    x_test: np.ndarray[Any, Any],
    y_test: np.ndarray[Any, Any],
    params: dict[str, Any] | None = None,
) -> TrainResult:
    p = {**PARAMS, **(params or {})}
    set_threads()
    seed_everything(int(p["seed"]))
    net = DigitNet(n_classes=10, width=int(p["width"]))
    train_net(
        net,
        to_tensor(x_train),
        torch.from_numpy(np.asarray(y_train, dtype=np.int64)),
        epochs=int(p["epochs"]),
        seed=int(p["seed"]),
        lr=float(p["lr"]),
    )
    accuracy = float((predict_proba(net, to_tensor(x_test)).argmax(1) == y_test).mean())
    digest = hashlib.sha256(np.ascontiguousarray(x_train).tobytes()).hexdigest()[:16]
    metrics = {"accuracy": accuracy, "labels": float(len(y_train)), "n_test": float(len(y_test))}
    return TrainResult(net, metrics, p, digest)
