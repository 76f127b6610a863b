"""The active-learning model goes through the same evaluation as the other two."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from atelier.evaluation.adapters import KINDS
from atelier.evaluation.report import evaluate
from ml_common import model_store


@pytest.mark.slow
def test_an_al_model_is_evaluated_against_a_baseline_al_model(tmp_path: Path) -> None:
    from non_structured_al_data_images.train import train
    from non_structured_data_images.train import split_digits

    x_tr, _, y_tr, _ = split_digits()
    kind = KINDS["al_digits_cnn"]
    x, y = kind.validation_set()
    models = []
    for version, epochs in (("al-full", 4), ("al-one-epoch-on-60-labels", 1)):
        n = len(y_tr) if epochs > 1 else 60
        result = train(x_tr[:n], y_tr[:n], x_tr[:10], y_tr[:10], {"epochs": epochs})
        meta = {"metrics": {"labels": float(n), "accuracy": result.metrics.get("accuracy", 0.0)}}
        loaded = model_store.LoadedModel("al_digits_cnn", version, result.model_bytes, meta)
        models.append(kind.load(loaded))
    assert models[0].labels == list(range(10))
    evaluate(models[0], models[1], x, y, tmp_path, model_name="al_digits_cnn", env="preprod")
    doc = json.loads((tmp_path / "verdict.json").read_text())
    accuracy = next(m for m in doc["metrics"] if m["name"] == "accuracy")
    assert accuracy["baseline"] > 0.9 > accuracy["candidate"]
    assert doc["decision"] == "block"
    assert np.isfinite(accuracy["p_holm"])
    efficiency = doc["label_efficiency"]
    assert efficiency["candidate"]["labels"] == 60
    assert efficiency["baseline"]["labels"] == len(y_tr)
    assert efficiency["candidate"]["validation_accuracy"] == accuracy["candidate"]
    assert "Label efficiency" in (tmp_path / "index.html").read_text()
