"""The evaluation's numpy metrics equal scikit-learn's; Holm and the bootstrap p-value behave."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

from atelier.evaluation.metrics import METRICS, bootstrap_p_worse, compare, holm, required_rows


@pytest.mark.parametrize("classes", [2, 10])
def test_metrics_equal_scikit_learn(classes: int) -> None:
    rng = np.random.default_rng(classes)
    y = rng.integers(0, classes, 300)
    logits = rng.normal(size=(300, classes)) + 2.0 * np.eye(classes)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = p.argmax(axis=1)
    auc = (
        roc_auc_score(y, p[:, 1])
        if classes == 2
        else roc_auc_score(y, p, multi_class="ovr", labels=list(range(classes)))
    )
    expected = {
        "accuracy": accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, average="macro"),
        "roc_auc": auc,
        "log_loss": log_loss(y, p, labels=list(range(classes))),
    }
    for name, value in expected.items():
        assert METRICS[name][0](y, p) == pytest.approx(value, abs=1e-9), name


def test_a_class_the_labels_never_hold_is_left_out_of_the_macro_auc() -> None:
    """The digits CNN answers 11 classes ("none" too); the held-out digits hold 10. Before this
    rule, its evaluation stopped on "ROC-AUC needs both classes"."""
    rng = np.random.default_rng(11)
    y = rng.integers(0, 10, 300)
    logits = rng.normal(size=(300, 11)) + 2.0 * np.eye(11)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = np.mean([roc_auc_score(y == k, p[:, k]) for k in range(10)])
    assert METRICS["roc_auc"][0](y, p) == pytest.approx(expected, abs=1e-9)
    names = {c.name for c in compare(y, p, p[:, ::-1].copy(), n_boot=50)}
    assert "roc_auc" in names


def test_holm_adjusts_step_down_and_stays_monotone() -> None:
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_bootstrap_p_is_small_only_when_the_candidate_is_worse() -> None:
    worse = np.full(999, -0.02)  # accuracy deltas, all negative
    assert bootstrap_p_worse(worse, higher_is_better=True) == pytest.approx(1 / 1000)
    assert bootstrap_p_worse(-worse, higher_is_better=True) == 1.0


def test_an_identical_candidate_is_never_significantly_worse() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.column_stack([1 - (q := rng.random(200)), q])
    for c in compare(y, p, p.copy(), n_boot=200):
        assert c.delta == 0 and c.p_holm == 1.0


def test_required_rows_grows_as_the_detectable_drop_shrinks() -> None:
    same = np.ones(500, dtype=bool)
    assert required_rows(same, same, 0.05) == 118  # (1.645 + 0.842)^2 * 0.0475 / 0.0025
    assert required_rows(same, same, 0.02) > required_rows(same, same, 0.05)
