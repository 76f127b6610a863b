"""Statistics behind the generated suites: bootstrap standard errors, KL bounds, and the
expectation records (each with its ``why``) built from them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

K_SE = 5.0  # bound = reference ± K_SE bootstrap standard errors
N_BOOT = 200
DIGITS = list(range(10))
POOLS = ["1914", "1918", "1939"]


def _e(kind: str, why: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {"why": why}}


def _se(values: np.ndarray, stat: Callable[[np.ndarray], Any]) -> np.ndarray:
    rng = np.random.default_rng(0)
    draws = [stat(values[rng.integers(0, len(values), len(values))]) for _ in range(N_BOOT)]
    return np.asarray(np.std(draws, axis=0), dtype=float)


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def _between(
    kind: str,
    column: str,
    values: np.ndarray,
    stat: Callable[[np.ndarray], float],
    what: str,
    floor: float = 0.0,
    **extra: Any,
) -> dict[str, Any]:
    ref = float(stat(values))
    half = max(K_SE * float(_se(values, stat)), floor)
    return _e(
        kind,
        f"{what} of the reference is {ref:.5g} (bootstrap SE {half / K_SE:.3g}); "
        f"a data update may move it by at most {K_SE:g} SE before a person looks",
        column=column,
        min_value=_round(ref - half),
        max_value=_round(ref + half),
        **extra,
    )


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    p = np.clip(p, 1e-12, None)
    return float(np.sum(p * np.log(p / np.clip(q, 1e-12, None))))


def _binned(column: str, values: np.ndarray, upper: float) -> dict[str, Any]:
    """KL divergence of the column's histogram over the reference deciles (plus the allowed
    range at both ends) from the reference's own histogram."""
    inner = np.quantile(values, np.linspace(0.1, 0.9, 9))
    edges = np.unique(np.concatenate([[0.0], inner, [upper]]))
    ref = np.histogram(values, edges)[0] / len(values)
    rng = np.random.default_rng(0)
    draws = [
        _kl(
            np.histogram(values[rng.integers(0, len(values), len(values))], edges)[0] / len(values),
            ref,
        )
        for _ in range(N_BOOT)
    ]
    threshold = _round(max(4 * float(np.quantile(draws, 0.99)), 0.01))
    return _e(
        "expect_column_kl_divergence_to_be_less_than",
        f"the histogram of {column} over the reference deciles; a bootstrap resample of the "
        f"reference has KL divergence <= {float(np.quantile(draws, 0.99)):.4f} in 99 % of "
        f"draws, the bound is 4x that: catches a shift or rescaling of part of the distribution",
        column=column,
        partition_object={"bins": [_round(e) for e in edges], "weights": ref.tolist()},
        threshold=threshold,
    )


def _distribution(column: str, values: pd.Series, categories: list[Any]) -> dict[str, Any]:
    counts = values.value_counts()
    weights = [float(counts.get(c, 0)) / len(values) for c in categories]
    # KL of a same-size multinomial resample from the reference ~ (k-1)/(2n) (chi-square/2n)
    expected = (len(categories) - 1) / (2 * len(values))
    threshold = _round(max(8 * expected, 0.005))
    return _e(
        "expect_column_kl_divergence_to_be_less_than",
        f"the share of each {column} in the reference; a resample's KL divergence is about "
        f"{expected:.4f}, {threshold} is 8x that",
        column=column,
        partition_object={"values": categories, "weights": weights},
        threshold=threshold,
    )


def _rows(n: int, *, exact: bool, why: str) -> dict[str, Any]:
    if exact:
        return _e("expect_table_row_count_to_equal", why, value=n)
    return _e(
        "expect_table_row_count_to_be_between",
        why,
        min_value=math.floor(n * 0.95),
        max_value=math.ceil(n * 1.25),
    )


# One-line column rules: each is one expectation type, its column and its reason.
def _not_null(column: str, why: str) -> dict[str, Any]:
    return _e("expect_column_values_to_not_be_null", why, column=column)


def _unique(column: str, why: str) -> dict[str, Any]:
    return _e("expect_column_values_to_be_unique", why, column=column)


def _regex(column: str, regex: str, why: str) -> dict[str, Any]:
    return _e("expect_column_values_to_match_regex", why, column=column, regex=regex)


def _of_type(column: str, type_: str, why: str) -> dict[str, Any]:
    return _e("expect_column_values_to_be_of_type", why, column=column, type_=type_)


def _in_set(column: str, values: list[Any], why: str) -> dict[str, Any]:
    return _e("expect_column_values_to_be_in_set", why, column=column, value_set=values)


def _layout(frame: pd.DataFrame, columns_why: str, *, exact: bool, rows_why: str) -> list[Any]:
    """The table's shape: its columns in order, then its row count (exact or within -5/+25 %)."""
    return [
        _e(
            "expect_table_columns_to_match_ordered_list",
            columns_why,
            column_list=list(frame.columns),
        ),
        _rows(len(frame), exact=exact, why=rows_why),
    ]
