"""Mutation tests of the model gate (structured model): broken candidates are blocked by both
the golden checks and the evaluation verdict; a retrain with another seed passes both.

The candidates are the pipeline's own classifier (StandardScaler + LogisticRegression) trained
the way a plausible bug would train it; the baseline is the committed training code's model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from atelier.evaluation.candidate import EvaluatedModel
from atelier.evaluation.report import evaluate
from atelier.validation.golden_checks import structured_problems
from atelier_devtools.paths import REPO_ROOT
from structured_data.features import load_dataset
from structured_data.model import Classifier, build
from structured_data.train import train

GOLDEN = json.loads((REPO_ROOT / "validation_data/golden/structured_data.json").read_text())
DATA = load_dataset()
TRAIN, TEST = ~DATA.test_mask, DATA.test_mask
X_TEST, Y_TEST = DATA.X[TEST], DATA.y[TEST]
Proba = Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]


def _fit(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], **params: Any) -> Classifier:
    pipeline = build()
    pipeline.set_params(**{f"clf__{k}": v for k, v in params.items()})
    pipeline.fit(x, y)
    return Classifier(pipeline, DATA.columns, DATA.target_names)


def label_noise() -> Proba:
    y = DATA.y[TRAIN].copy()
    flip = np.random.default_rng(3).random(len(y)) < 0.3
    y[flip] = 1 - y[flip]
    return _fit(DATA.X[TRAIN], y).predict_proba


def shifted_feature(column: str = "worst_texture", factor: float = 10.0, sds: float = 0.0) -> Proba:
    # a feature arrives in training in another unit (x10), or shifted by ``sds`` deviations
    x = DATA.X[TRAIN].copy()
    k = DATA.columns.index(column)
    x[:, k] = x[:, k] * factor + sds * x[:, k].std()
    return _fit(x, DATA.y[TRAIN]).predict_proba


def changed_feature_order() -> Proba:
    # trained on reversed columns while the contract (and the service) sends the old order
    clf = _fit(DATA.X[TRAIN][:, ::-1], DATA.y[TRAIN])
    return clf.predict_proba


def moved_threshold() -> Proba:
    # the decision threshold for "benign" moved from 0.5 to 0.9
    base = train(DATA).classifier

    def proba(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        p = np.clip(base.predict_proba(rows)[:, 1], 1e-9, 1 - 1e-9)
        shifted = 1 / (1 + np.exp(-(np.log(p / (1 - p)) - np.log(0.9 / 0.1))))
        return np.column_stack([1 - shifted, shifted])

    return proba


def under_trained() -> Proba:
    return _fit(DATA.X[TRAIN], DATA.y[TRAIN], max_iter=1).predict_proba


MUTANTS: dict[str, Callable[[], Proba]] = {
    "label-noise-30": label_noise,
    "shifted-feature": shifted_feature,
    "changed-feature-order": changed_feature_order,
    "moved-threshold": moved_threshold,
    "under-trained": under_trained,
}


def _model(version: str, proba: Proba) -> EvaluatedModel:
    return EvaluatedModel(version, proba, list(DATA.columns), [0, 1])


@pytest.fixture(scope="module")
def baseline() -> EvaluatedModel:
    return _model("baseline", train(DATA).classifier.predict_proba)


def _verdict(tmp_path: Path, baseline: EvaluatedModel, candidate: EvaluatedModel) -> dict[str, Any]:
    evaluate(
        baseline, candidate, X_TEST, Y_TEST, tmp_path, model_name="structured_data", env="preprod"
    )
    doc: dict[str, Any] = json.loads((tmp_path / "verdict.json").read_text())
    return doc


@pytest.mark.slow  # each runs the whole evaluation: bootstrap CIs and plots (~5-25 s)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_broken_candidate_is_blocked_by_golden_checks_and_evaluation(
    tmp_path: Path, baseline: EvaluatedModel, name: str
) -> None:
    proba = MUTANTS[name]()
    problems = structured_problems(
        proba, list(DATA.columns), GOLDEN, X_TEST, Y_TEST, DATA.target_names
    )
    assert problems, f"{name} passed the golden checks"
    doc = _verdict(tmp_path, baseline, _model(name, proba))
    assert doc["decision"] == "block", (name, doc["reasons"], doc["metrics"])
    assert any("significantly worse" in r for r in doc["reasons"])


@pytest.mark.slow  # each runs the whole evaluation: bootstrap CIs and plots (~5-25 s)
def test_a_retrain_with_another_seed_passes_both(tmp_path: Path, baseline: EvaluatedModel) -> None:
    retrained = train(DATA, {"seed": 7}).classifier
    assert (
        structured_problems(
            retrained.predict_proba, list(DATA.columns), GOLDEN, X_TEST, Y_TEST, DATA.target_names
        )
        == []
    )
    doc = _verdict(tmp_path, baseline, _model("seed-7", retrained.predict_proba))
    assert doc["decision"] == "promote", doc["reasons"]
    assert doc["power"]["enough"], doc["power"]


@pytest.mark.slow  # each runs the whole evaluation: bootstrap CIs and plots (~5-25 s)
def test_a_smaller_shift_is_not_promoted_but_sent_to_review(
    tmp_path: Path, baseline: EvaluatedModel
) -> None:
    """2 SD on worst_concave_points: 3.5 points of accuracy lost, not significant on 143 rows
    (Holm p about 0.15), so the verdict is manual_review, with the reason."""
    proba = shifted_feature("worst_concave_points", 1.0, 2.0)
    doc = _verdict(tmp_path, baseline, _model("shift-2sd", proba))
    assert doc["decision"] == "manual_review"
    assert any("beyond its tolerance" in r and "not significant" in r for r in doc["reasons"])


def test_the_golden_set_has_hard_and_borderline_cases() -> None:
    kinds = {case.get("kind") for case in GOLDEN["cases"]}
    assert {"confident", "borderline", "hard"} <= kinds, kinds
    assert "tolerance_evidence" in GOLDEN
