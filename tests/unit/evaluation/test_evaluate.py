"""The evaluation's verdicts on real scikit-learn models trained on bundled data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from atelier.evaluation.candidate import EvaluatedModel
from atelier.evaluation.report import evaluate

DATA = load_breast_cancer()
FEATURES = [str(f) for f in DATA.feature_names]
X_TRAIN, X_TEST, Y_TRAIN, Y_TEST = train_test_split(
    DATA.data, DATA.target, test_size=0.3, random_state=0, stratify=DATA.target
)


def _model(
    version: str, columns: list[int], c: float = 1.0, shuffle_labels: float = 0.0
) -> EvaluatedModel:
    y = Y_TRAIN.copy()
    if shuffle_labels:
        rng = np.random.default_rng(1)
        flip = rng.random(len(y)) < shuffle_labels
        y[flip] = 1 - y[flip]
    est = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    est.fit(X_TRAIN[:, columns], y)
    return EvaluatedModel(version, est.predict_proba, [FEATURES[i] for i in columns], [0, 1])


ALL = list(range(len(FEATURES)))


@pytest.fixture(scope="module")
def baseline() -> EvaluatedModel:
    return _model("v1", ALL)


def _run(tmp_path: Path, baseline: EvaluatedModel, candidate: EvaluatedModel) -> dict[str, object]:
    verdict = evaluate(
        baseline, candidate, X_TEST, Y_TEST, tmp_path, model_name="structured_data", env="preprod"
    )
    doc = json.loads((tmp_path / "verdict.json").read_text())
    assert doc["decision"] == verdict.decision
    return doc


def test_an_equivalent_candidate_is_promoted_and_the_report_has_its_plots(
    tmp_path: Path, baseline: EvaluatedModel
) -> None:
    doc = _run(tmp_path, baseline, _model("v2", ALL, c=0.9))
    assert doc["decision"] == "promote"
    page = (tmp_path / "index.html").read_text()
    for figure in ("confusion", "roc", "pr", "calibration", "per_class", "latency", "disagreement"):
        assert (tmp_path / f"{figure}.png").stat().st_size > 1000
        assert f'alt="{figure}"' in page
    assert 'src="data:image/png;base64,' in page  # self-contained: no file to lose, no URL
    names = {m["name"] for m in doc["metrics"]}  # type: ignore[attr-defined]
    assert {"accuracy", "roc_auc", "log_loss", "ece", "macro_f1"} <= names


def test_a_degraded_candidate_is_blocked_naming_the_metric(
    tmp_path: Path, baseline: EvaluatedModel
) -> None:
    doc = _run(tmp_path, baseline, _model("v3", [0, 1], shuffle_labels=0.35))
    assert doc["decision"] == "block"
    assert any("accuracy significantly worse" in r for r in doc["degraded_metrics"])  # type: ignore[attr-defined]


def test_a_schema_breaking_candidate_goes_to_manual_review(
    tmp_path: Path, baseline: EvaluatedModel
) -> None:
    doc = _run(tmp_path, baseline, _model("v4", ALL[:-1]))
    assert doc["decision"] == "manual_review"
    assert doc["breaking_changes"] == [
        f"input schema changed: added [], removed ['{FEATURES[-1]}']"
    ]


def test_a_changed_label_set_goes_to_manual_review(
    tmp_path: Path, baseline: EvaluatedModel
) -> None:
    relabelled = _model("v5", ALL)
    relabelled.labels = [0, 1, 2]
    doc = _run(tmp_path, baseline, relabelled)
    assert doc["decision"] == "manual_review"
    assert "label set changed" in doc["breaking_changes"][0]  # type: ignore[index]
