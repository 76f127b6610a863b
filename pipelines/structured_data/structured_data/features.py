"""The tabular data set (scikit-learn's breast-cancer records) and its column names.

Records get string ids ``"1500"``..``"2068"`` (index + ``ID_OFFSET``); the held-out split is
fixed by ``SPLIT_SEED`` so that training, seeding and the quality gates agree on it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

ID_OFFSET = 1500
SPLIT_SEED = 42
TEST_SIZE = 0.25


def column_name(feature: str) -> str:
    """``"mean concave points"`` -> ``"mean_concave_points"`` (a safe SQL identifier)."""
    return re.sub(r"[^a-z0-9]+", "_", feature.lower()).strip("_")


@dataclass(frozen=True)
class Dataset:
    ids: list[str]
    X: NDArray[np.float64]
    y: NDArray[np.int64]
    columns: list[str]
    target_names: list[str]
    test_mask: NDArray[np.bool_]

    @property
    def data_hash(self) -> str:
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.X).tobytes())
        h.update(np.ascontiguousarray(self.y).tobytes())
        h.update(",".join(self.columns).encode())
        return h.hexdigest()[:16]


def load_dataset() -> Dataset:
    raw = load_breast_cancer()
    X = np.asarray(raw.data, dtype=np.float64)
    y = np.asarray(raw.target, dtype=np.int64)
    index = np.arange(len(y))
    _, test_idx = train_test_split(index, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=y)
    mask = np.zeros(len(y), dtype=bool)
    mask[test_idx] = True
    return Dataset(
        ids=[str(ID_OFFSET + i) for i in index],
        X=X,
        y=y,
        columns=[column_name(f) for f in raw.feature_names],
        target_names=[str(t) for t in raw.target_names],
        test_mask=mask,
    )
