"""The classifier: a scikit-learn Pipeline (StandardScaler + LogisticRegression).

It is stored as JSON (fitted parameters only), not pickled, so loading a model from the store
cannot run code; ``from_json`` rebuilds the same Pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FORMAT = "atelier.sklearn.scaler-logreg/1"


def build(C: float = 1.0, seed: int = 0) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=C, max_iter=5000, random_state=seed)),
        ]
    )


@dataclass
class Classifier:
    pipeline: Pipeline
    columns: list[str]
    target_names: list[str]

    def predict_proba(self, rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.asarray(self.pipeline.predict_proba(np.asarray(rows, dtype=np.float64)))

    def predict_one(self, features: dict[str, float]) -> tuple[int, dict[str, float]]:
        """Class index and class probabilities for one record given by column name."""
        missing = [c for c in self.columns if features.get(c) is None]
        if missing:
            raise ValueError(f"record lacks features {missing[:5]}")
        row = np.array([[float(features[c]) for c in self.columns]])
        proba = self.predict_proba(row)[0]
        label = int(np.argmax(proba))
        return label, {name: float(p) for name, p in zip(self.target_names, proba, strict=True)}

    def to_json(self) -> bytes:
        scaler: StandardScaler = self.pipeline.named_steps["scale"]
        clf: LogisticRegression = self.pipeline.named_steps["clf"]
        doc = {
            "format": FORMAT,
            "columns": self.columns,
            "target_names": self.target_names,
            "scaler": {
                "mean": scaler.mean_.tolist(),
                "scale": scaler.scale_.tolist(),
                "var": scaler.var_.tolist(),
                "n_samples_seen": int(scaler.n_samples_seen_),
            },
            "clf": {
                "coef": clf.coef_.tolist(),
                "intercept": clf.intercept_.tolist(),
                "classes": clf.classes_.tolist(),
                "params": clf.get_params(),
            },
        }
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Classifier:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise ValueError(f"unsupported model format {doc.get('format')!r}")
        n = len(doc["columns"])
        scaler = StandardScaler()
        scaler.mean_ = np.array(doc["scaler"]["mean"])
        scaler.scale_ = np.array(doc["scaler"]["scale"])
        scaler.var_ = np.array(doc["scaler"]["var"])
        scaler.n_samples_seen_ = doc["scaler"]["n_samples_seen"]
        scaler.n_features_in_ = n
        clf = LogisticRegression(**doc["clf"]["params"])
        clf.coef_ = np.array(doc["clf"]["coef"])
        clf.intercept_ = np.array(doc["clf"]["intercept"])
        clf.classes_ = np.array(doc["clf"]["classes"])
        clf.n_features_in_ = n
        pipeline = Pipeline([("scale", scaler), ("clf", clf)])
        return cls(pipeline, list(doc["columns"]), list(doc["target_names"]))
