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
from atelier.validation.offline import external_urls

pytestmark = pytest.mark.slow  # trains and plots candidate models

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
    doc: dict[str, object] = json.loads((tmp_path / "verdict.json").read_text())
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
    assert external_urls(page) == []
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


def test_the_committed_sample_report_is_self_contained_and_not_a_promote() -> None:
    from atelier_devtools.paths import REPO_ROOT

    sample = REPO_ROOT / "docs" / "reports" / "evaluation-sample"
    assert external_urls((sample / "index.html").read_text(encoding="utf-8")) == []
    verdict = json.loads((sample / "verdict.json").read_text())
    assert verdict["decision"] == "block"
    assert any("log_loss significantly worse" in r for r in verdict["reasons"])


def test_significantly_worse_within_tolerance_goes_to_review_not_promote(
    tmp_path: Path, baseline: EvaluatedModel
) -> None:
    from atelier.evaluation.metrics import MetricComparison
    from atelier.evaluation.verdict import decide

    small = MetricComparison("log_loss", 0.07, 0.075, 0.005, 0.001, 0.009, False, 0.001, 0.005)
    verdict = decide(baseline, baseline, [small])
    assert verdict.decision == "manual_review"
    assert "within its tolerance" in verdict.reasons[0]
    large = MetricComparison("log_loss", 0.07, 0.2, 0.13, 0.1, 0.16, False, 0.001, 0.005)
    assert decide(baseline, baseline, [large]).decision == "block"
