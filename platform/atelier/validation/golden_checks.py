"""The golden-model checks as functions: a model in, the list of problems out.

The golden tests (``-m golden``) apply them to the models the pipelines train; the model-gate
mutation tests apply them to deliberately broken candidates and expect problems.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import accuracy_score, roc_auc_score

Proba = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def structured_problems(
    predict_proba: Proba,
    columns: list[str],
    golden: dict[str, Any],
    x_test: NDArray[np.float64],
    y_test: NDArray[np.int64],
    target_names: list[str],
) -> list[str]:
    """ROC-AUC and accuracy thresholds on the held-out split, then every golden case."""
    problems = []
    proba = predict_proba(x_test)
    auc = float(roc_auc_score(y_test, proba[:, 1]))
    acc = float(accuracy_score(y_test, proba.argmax(axis=1)))
    thresholds = golden["thresholds"]
    if auc < thresholds["roc_auc"]:
        problems.append(f"roc_auc {auc:.4f} < {thresholds['roc_auc']}")
    if acc < thresholds.get("accuracy", 0.0):
        problems.append(f"accuracy {acc:.4f} < {thresholds['accuracy']}")
    tol = float(golden["tolerance"]["probability_abs"])
    for case in golden["cases"]:
        row = np.array([[case["input"][c] for c in columns]], dtype=np.float64)
        p = predict_proba(row)[0]
        want = case["expected"]
        if int(np.argmax(p)) != want["prediction"]:
            problems.append(
                f"case {case['id']} ({case.get('kind', 'confident')}): predicted "
                f"{int(np.argmax(p))}, golden {want['prediction']}"
            )
            continue
        expected = np.array([want["probabilities"][n] for n in target_names])
        got = np.asarray(p, dtype=float)
        if np.abs(got - expected).max() > tol:
            problems.append(
                f"case {case['id']} ({case.get('kind', 'confident')}): probabilities "
                f"{got.round(5).tolist()} vs golden {expected.round(5).tolist()} (tolerance {tol})"
            )
    return problems


def digits_problems(
    proba_fn: Proba,
    golden: dict[str, Any],
    x_test: NDArray[np.float64],
    y_test: NDArray[np.int64],
) -> list[str]:
    """Accuracy threshold on the held-out digits, then every golden case with its tolerance."""
    problems = []
    acc = float((proba_fn(x_test).argmax(axis=1) == y_test).mean())
    if acc < golden["thresholds"]["accuracy"]:
        problems.append(f"accuracy {acc:.4f} < {golden['thresholds']['accuracy']}")
    grids = np.array([case["input"] for case in golden["cases"]], dtype=np.float64)
    proba = proba_fn(grids)
    default_tol = float(golden["tolerance"]["confidence_abs"])
    for case, p in zip(golden["cases"], proba, strict=True):
        want = case["expected"]
        kind = case.get("kind", "confident")
        allowed = want.get("digits", [want["digit"]])
        if int(p.argmax()) not in allowed:
            problems.append(
                f"case {case['index_in_test_split']} ({kind}): predicted {int(p.argmax())}, "
                f"golden {allowed}"
            )
            continue
        tol = float(case.get("tolerance", default_tol))
        if abs(float(p[want["digit"]]) - want["confidence"]) > tol:
            problems.append(
                f"case {case['index_in_test_split']} ({kind}): p(digit {want['digit']}) "
                f"{float(p[want['digit']]):.3f} vs golden {want['confidence']:.3f} ± {tol}"
            )
    return problems
