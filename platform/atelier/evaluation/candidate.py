"""What the evaluation needs of a model, whatever its framework."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Probabilities = NDArray[np.float64]


@dataclass
class EvaluatedModel:
    """A model version as the evaluation sees it: a probability function plus its contract."""

    version: str
    predict_proba: Callable[[NDArray[np.float64]], Probabilities]
    features: list[str]
    labels: list[int]
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass
class Predictions:
    version: str
    probabilities: Probabilities
    latency_ms: NDArray[np.float64]

    @property
    def predicted(self) -> NDArray[np.int64]:
        return np.asarray(self.probabilities.argmax(axis=1), dtype=np.int64)


def predict_timed(model: EvaluatedModel, x: NDArray[np.float64], batch: int = 32) -> Predictions:
    """Probabilities for every row, and the per-row latency measured in batches of ``batch``."""
    chunks = []
    latencies = []
    for start in range(0, len(x), batch):
        rows = x[start : start + batch]
        t0 = time.perf_counter()
        chunks.append(np.asarray(model.predict_proba(rows), dtype=np.float64))
        per_row = (time.perf_counter() - t0) * 1000 / max(len(rows), 1)
        latencies.extend([per_row] * len(rows))
    return Predictions(model.version, np.vstack(chunks), np.asarray(latencies))
