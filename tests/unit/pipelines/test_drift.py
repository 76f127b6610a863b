"""Drift detection: a +1 sigma shift of one feature over 5,000 rows is found for every seed,
and unshifted data raises at most one false alarm in 20 seeds."""

from __future__ import annotations

import numpy as np

from structured_data.drift import compare
from structured_data.drift_report import render

N, FEATURES, SEEDS = 5000, 10, 20


def _data(seed: int, shift: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.5, 20.0, FEATURES)
    ref = {f"f{i}": rng.normal(5.0, scales[i], N) for i in range(FEATURES)}
    cur = {f"f{i}": rng.normal(5.0, scales[i], N) for i in range(FEATURES)}
    cur["f3"] = cur["f3"] + shift * scales[3]
    ref["prediction"] = rng.integers(0, 2, N).astype(float)
    cur["prediction"] = rng.integers(0, 2, N).astype(float)
    return ref, cur


def test_one_sigma_shift_found_in_20_of_20_seeds() -> None:
    found = [compare(*_data(seed, 1.0)).drifted for seed in range(SEEDS)]
    assert all(d == ["f3"] for d in found), found


def test_at_most_one_false_alarm_in_20_unshifted_seeds() -> None:
    false_alarms = sum(bool(compare(*_data(100 + seed, 0.0)).drifted) for seed in range(SEEDS))
    assert false_alarms <= 1


def test_small_samples_use_ks_and_chi_square() -> None:
    ref, cur = _data(1, 1.0)
    small = compare({k: v[:500] for k, v in ref.items()}, {k: v[:500] for k, v in cur.items()})
    tests = {c.column: c.test for c in small.columns}
    assert tests["f0"] == "K-S p_value" and tests["prediction"] == "chi-square p_value"
    assert "f3" in small.drifted
    large = compare(ref, cur)
    assert {c.column: c.test for c in large.columns}["prediction"] == "Jensen-Shannon distance"


def test_a_shifted_prediction_distribution_is_drift() -> None:
    ref, cur = _data(2, 0.0)
    cur["prediction"] = (np.random.default_rng(0).random(N) < 0.8).astype(float)
    assert compare(ref, cur).drifted == ["prediction"]


def test_report_is_self_contained_html_with_plots() -> None:
    ref, cur = _data(3, 1.0)
    page = render(compare(ref, cur), ref, cur)
    assert page.count("<svg") == FEATURES + 1 and "drift" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page
