"""The e2e's answer checks: a right answer passes, each kind of wrong answer fails, saying how."""

from __future__ import annotations

from typing import Any

from atelier_devtools.e2e.answers import al_problems, digits_problems

TRUTH: dict[str, list[dict[str, Any]]] = {
    "digits": [
        {"box": [0, 0, 32, 32], "digit": 4},
        {"box": [64, 0, 96, 32], "digit": 2},
        {"box": [32, 32, 64, 64], "digit": 7},
    ]
    + [{"box": [32 * i, 96, 32 * i + 32, 128], "digit": i % 10} for i in range(12)]
}


def _result(changes: dict[int, int | None] | None = None, extra: int = 0) -> dict[str, Any]:
    detections = []
    for i, d in enumerate(TRUTH["digits"]):
        digit = (changes or {}).get(i, d["digit"])
        if digit is not None:
            detections.append({"box": d["box"], "digit": digit, "confidence": 0.99})
    for k in range(extra):
        detections.append({"box": [32 * k, 200, 32 * k + 32, 232], "digit": 1, "confidence": 0.9})
    order = sorted(detections, key=lambda d: (d["box"][1], d["box"][0]))
    return {"detections": detections, "digits_read": "".join(str(d["digit"]) for d in order)}


def test_the_right_answer_passes() -> None:
    assert digits_problems(_result(), TRUTH) == []


def test_wrong_digits_fail_naming_the_tiles() -> None:
    problems = digits_problems(_result({0: 9, 1: 3}), TRUTH)
    assert problems and "13 of 15" in problems[0] and "(0, 0, 32, 32)" in problems[0]


def test_missed_digits_fail() -> None:
    problems = digits_problems(_result({0: None, 2: None}), TRUTH)
    assert problems and "missed" in problems[0]


def test_detections_on_empty_tiles_fail() -> None:
    problems = digits_problems(_result(extra=3), TRUTH)
    assert problems == [
        "3 detections on tiles without a digit, e.g. [(0, 200, 32, 232), (32, 200, 64, 232), (64, 200, 96, 232)]"
    ]


def test_a_scrambled_digits_read_string_fails() -> None:
    result = _result()
    result["digits_read"] = result["digits_read"][::-1]
    assert "reading order" in digits_problems(result, TRUTH)[0]


def _curves(accuracies: list[float]) -> dict[str, Any]:
    curve = [{"labels": 20.0 * (i + 1), "accuracy": a} for i, a in enumerate(accuracies)]
    return {"best_strategy": "margin", "strategies": {"margin": curve, "random": curve}}


def test_an_al_job_that_learned_passes() -> None:
    assert al_problems(_curves([0.5, 0.8, 0.91])) == []


def test_an_al_job_with_low_accuracy_or_no_learning_fails() -> None:
    assert "0.600 < 0.8" in al_problems(_curves([0.5, 0.6]))[0]
    assert any("did not learn" in p for p in al_problems(_curves([0.9, 0.85])))
    assert al_problems({"best_strategy": "x", "strategies": {}})[0].startswith("no curve")
