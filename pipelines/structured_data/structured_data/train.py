"""Train the structured-data classifier: fixed seed, fixed held-out split, ROC-AUC.

python -m structured_data.train --out DIR    writes model.json and metrics.json
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from ml_common.training import train_cli
from structured_data.features import Dataset, load_dataset
from structured_data.model import Classifier, build

MODEL_NAME = "structured_data"
PARAMS: dict[str, Any] = {"C": 1.0, "seed": 0}


@dataclass(frozen=True)
class TrainResult:
    classifier: Classifier
    metrics: dict[str, float]
    params: dict[str, Any]
    data_hash: str

    @property
    def model_bytes(self) -> bytes:
        return self.classifier.to_json()


def train(dataset: Dataset | None = None, params: dict[str, Any] | None = None) -> TrainResult:
    data = dataset or load_dataset()
    p = {**PARAMS, **(params or {})}
    train_rows, test_rows = ~data.test_mask, data.test_mask
    pipeline = build(C=float(p["C"]), seed=int(p["seed"]))
    pipeline.fit(data.X[train_rows], data.y[train_rows])
    clf = Classifier(pipeline, data.columns, data.target_names)
    proba = clf.predict_proba(data.X[test_rows])
    y_test = data.y[test_rows]
    # Positive class for ROC-AUC is target 1 ("benign"), as scikit-learn encodes it.
    metrics = {
        "roc_auc": float(roc_auc_score(y_test, proba[:, 1])),
        "accuracy": float(accuracy_score(y_test, np.argmax(proba, axis=1))),
        "n_train": float(train_rows.sum()),
        "n_test": float(test_rows.sum()),
    }
    return TrainResult(clf, metrics, p, data.data_hash)


def main(argv: list[str] | None = None) -> None:
    train_cli(__doc__, train, "model.json", argv, model_name=MODEL_NAME)


if __name__ == "__main__":
    main()
