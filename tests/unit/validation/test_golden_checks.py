"""The digits golden check's rules, on a hand-made golden file (no training)."""

from __future__ import annotations

from typing import Any

import numpy as np

from atelier.validation.golden_checks import digits_problems


def _case(i: int, kind: str, digit: int, digits: list[int], tol: float) -> dict[str, Any]:
    grid = np.zeros((8, 8))
    grid[0, 0] = i + 1  # the fake model reads the case number here (0: a held-out row)
    return {
        "index_in_test_split": i,
        "kind": kind,
        "input": grid.tolist(),
        "expected": {"digit": digit, "digits": digits, "confidence": 0.9},
        "tolerance": tol,
    }


GOLDEN: dict[str, Any] = {
    "thresholds": {"accuracy": 0.5},
    "tolerance": {"confidence_abs": 0.05, "boundary_misses": 2},
    "cases": [
        _case(0, "confident", 1, [1], 0.05),
        _case(1, "borderline", 2, [2], 0.3),
        _case(2, "borderline", 3, [3], 0.3),
        _case(3, "hard", 4, [4, 5], 1.0),
    ],
}
X = np.zeros((4, 64))
Y = np.zeros(4, dtype=np.int64)


def _model(answers: dict[int, int], confidence: float = 0.9) -> Any:
    """Answers digit ``answers[case]`` with ``confidence`` (0 for the held-out rows)."""

    def proba(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        markers = np.asarray(rows).reshape(len(rows), 64)[:, 0].astype(int)
        out = np.full((len(rows), 11), (1 - confidence) / 10)
        for r, marker in enumerate(markers):
            out[r, answers[marker - 1] if marker else 0] = confidence
        return out

    return proba


RIGHT = {0: 1, 1: 2, 2: 3, 3: 5}


def test_a_model_that_answers_every_case_passes() -> None:
    assert digits_problems(_model(RIGHT), GOLDEN, X, Y) == []


def test_a_missed_confident_case_is_a_problem_whatever_the_budget() -> None:
    problems = digits_problems(_model({**RIGHT, 0: 7}), GOLDEN, X, Y)
    assert problems == ["case 0 (confident): predicted 7, golden [1]"]


def test_boundary_misses_within_the_budget_pass_and_beyond_it_fail() -> None:
    assert digits_problems(_model({**RIGHT, 1: 8, 3: 6}), GOLDEN, X, Y) == []
    problems = digits_problems(_model({**RIGHT, 1: 8, 2: 8, 3: 6}), GOLDEN, X, Y)
    assert problems[0].startswith("3 borderline/hard golden cases missed, more than the 2")
    assert "case 3 (hard): predicted 6, golden [4, 5]" in problems


def test_a_confidence_beyond_the_case_tolerance_is_a_miss() -> None:
    golden = {**GOLDEN, "tolerance": {"confidence_abs": 0.05, "boundary_misses": 0}}
    problems = digits_problems(_model(RIGHT, confidence=0.5), golden, X, Y)
    assert "case 0 (confident): p(digit 1) 0.500 vs golden 0.900 ± 0.05" in problems
    assert any(p.startswith("case 1 (borderline): p(digit 2) 0.500") for p in problems)
