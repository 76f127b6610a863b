"""Data drift of the structured model: recent inputs and predictions vs the training reference.

The tests are Evidently's defaults ("Data drift" preset, per column), computed with scipy
(see docs/adr/0014-alarms-drift-own-engines.md):

- numerical column (more than 5 distinct values): reference <= 1000 rows -> two-sample
  Kolmogorov-Smirnov, drift when p < 0.05; more rows -> Wasserstein distance normed by the
  reference's standard deviation, drift when >= 0.1;
- categorical column (the prediction, or <= 5 distinct values): reference <= 1000 rows ->
  chi-squared, drift when p < 0.05; more -> Jensen-Shannon distance, drift when >= 0.1;
- the drift share is the fraction of drifted columns; the dataset drifts when it is >= 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

SMALL_SAMPLE = 1000
P_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
DATASET_SHARE = 0.5
CATEGORICAL_MAX_UNIQUE = 5


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: str  # "numerical" | "categorical"
    test: str
    score: float  # p-value (KS, chi-squared) or distance (Wasserstein, Jensen-Shannon)
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    columns: list[ColumnDrift]
    reference_rows: int
    current_rows: int

    @property
    def drifted(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def share(self) -> float:
        return len(self.drifted) / len(self.columns) if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return self.share >= DATASET_SHARE


def is_categorical(reference: np.ndarray) -> bool:
    return len(np.unique(reference)) <= CATEGORICAL_MAX_UNIQUE


def numerical(column: str, reference: np.ndarray, current: np.ndarray) -> ColumnDrift:
    if len(reference) <= SMALL_SAMPLE:
        p = float(stats.ks_2samp(reference, current).pvalue)
        return ColumnDrift(column, "numerical", "K-S p_value", p, P_THRESHOLD, p < P_THRESHOLD)
    std = float(np.std(reference)) or 1e-12
    distance = float(stats.wasserstein_distance(reference, current)) / std
    return ColumnDrift(
        column,
        "numerical",
        "Wasserstein distance (normed)",
        distance,
        DISTANCE_THRESHOLD,
        distance >= DISTANCE_THRESHOLD,
    )


def categorical(column: str, reference: np.ndarray, current: np.ndarray) -> ColumnDrift:
    keys = np.union1d(np.unique(reference), np.unique(current))
    ref = np.array([(reference == k).sum() for k in keys], dtype=float)
    cur = np.array([(current == k).sum() for k in keys], dtype=float)
    if len(reference) <= SMALL_SAMPLE:
        expected = ref / ref.sum() * cur.sum()
        keep = expected > 0
        p = float(stats.chisquare(cur[keep], expected[keep]).pvalue) if keep.sum() > 1 else 1.0
        return ColumnDrift(
            column, "categorical", "chi-square p_value", p, P_THRESHOLD, p < P_THRESHOLD
        )
    distance = float(jensenshannon(ref / ref.sum(), cur / cur.sum()))
    return ColumnDrift(
        column,
        "categorical",
        "Jensen-Shannon distance",
        distance,
        DISTANCE_THRESHOLD,
        distance >= DISTANCE_THRESHOLD,
    )


def column_drift(column: str, reference: np.ndarray, current: np.ndarray) -> ColumnDrift:
    if is_categorical(reference):
        return categorical(column, reference, current)
    return numerical(column, reference, current)


def compare(reference: dict[str, np.ndarray], current: dict[str, np.ndarray]) -> DriftResult:
    """Every column present in both (features, and ``prediction`` against the reference's
    target distribution when given so)."""
    columns = [c for c in reference if c in current]
    if not columns:
        raise ValueError("no common column to compare")
    results = [
        column_drift(c, np.asarray(reference[c], dtype=float), np.asarray(current[c], dtype=float))
        for c in columns
    ]
    return DriftResult(
        results, len(next(iter(reference.values()))), len(next(iter(current.values())))
    )


def metric_data(result: DriftResult) -> list[dict[str, object]]:
    return [
        {"MetricName": "DriftShare", "Value": result.share, "Unit": "None"},
        {"MetricName": "DriftedColumns", "Value": float(len(result.drifted)), "Unit": "Count"},
        {"MetricName": "CurrentRows", "Value": float(result.current_rows), "Unit": "Count"},
    ]
