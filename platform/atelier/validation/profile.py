"""Generate the suites in validation_data/suites/ from the reference data and the domain rules.

`atelier validate --profile` rewrites the suite files; a person reviews the diff and commits it.
Every expectation carries ``meta.why``. Statistical bounds come from the reference data itself:
the statistic's bootstrap standard error (200 resamples, fixed seed) times ``K_SE``, so a fresh
resample of the reference passes and a real shift does not (see docs/quality-gates.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atelier.validation.profile_stats import (
    DIGITS,
    POOLS,
    _between,
    _binned,
    _distribution,
    _e,
    _round,
    _rows,
)


def structured_suite(frame: pd.DataFrame) -> dict[str, Any]:
    features = [c for c in frame.columns if c not in ("id", "target")]
    ex = [
        _e(
            "expect_table_columns_to_match_ordered_list",
            "the model's feature contract is positional: a dropped, added or moved column "
            "feeds the wrong numbers to the service",
            column_list=list(frame.columns),
        ),
        _rows(
            len(frame),
            exact=False,
            why=f"{len(frame)} reference rows; losing over 5 % is a truncation, growing over "
            "25 % is a different data set that needs a new reference",
        ),
        _e("expect_column_values_to_not_be_null", "the record key", column="id"),
        _e(
            "expect_column_values_to_be_unique",
            "one row per record: a duplicate double-counts "
            "a patient and can leak between the train and test splits",
            column="id",
        ),
        _e(
            "expect_column_values_to_match_regex",
            "ids are numeric strings in the source system",
            column="id",
            regex="^[0-9]{1,32}$",
        ),
        _e("expect_column_values_to_not_be_null", "every record is labelled", column="target"),
        _e(
            "expect_column_values_to_be_of_type",
            "integer class labels",
            column="target",
            type_="int64",
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "binary task: 0 malignant, 1 benign; another "
            "value is an unseen class the model cannot predict",
            column="target",
            value_set=[0, 1],
        ),
        _between(
            "expect_column_mean_to_be_between",
            "target",
            frame["target"].to_numpy(float),
            np.mean,
            "the share of benign records",
        ),
    ]
    y = frame["target"].to_numpy()
    separation = {
        f: abs(frame.loc[y == 1, f].mean() - frame.loc[y == 0, f].mean()) / frame[f].std()
        for f in features
    }
    discriminative = sorted(features, key=lambda f: -separation[f])[:6]
    for f in features:
        v = frame[f].to_numpy(float)
        ex += [
            _e("expect_column_values_to_not_be_null", "the model has no imputer", column=f),
            _e(
                "expect_column_values_to_be_of_type",
                "a measurement, read as float",
                column=f,
                type_="float64",
            ),
            _e(
                "expect_column_values_to_be_between",
                f"physical measure, non-negative; observed max {v.max():.4g}, 50 % headroom",
                column=f,
                min_value=0.0,
                max_value=_round(v.max() * 1.5),
            ),
            _between("expect_column_mean_to_be_between", f, v, np.mean, f"the mean of {f}"),
            _binned(f, v, _round(v.max() * 1.5)),
        ]
    for f in discriminative:
        for label in (0, 1):
            v = frame.loc[y == label, f].to_numpy(float)
            e = _between(
                "expect_column_mean_to_be_between",
                f,
                v,
                np.mean,
                f"the mean of {f} among target=={label} (one of the six most "
                "class-separating features: label noise pulls the class means together)",
                row_condition=f"target=={label}",
                condition_parser="pandas",
            )
            ex.append(e)
    return {
        "name": "structured_features",
        "dataset": "data/structured_features.csv",
        "read_csv": {"dtype": {"id": "str"}},
        "expectations": ex,
    }


def digits_suite(frame: pd.DataFrame) -> dict[str, Any]:
    ex = [
        _e(
            "expect_table_columns_to_match_ordered_list",
            "the manifest's published layout",
            column_list=list(frame.columns),
        ),
        _rows(
            len(frame),
            exact=True,
            why="the manifest lists the whole scikit-learn digits set "
            f"({len(frame)} images): a missing or extra row is an error, not an update",
        ),
    ]
    for c in frame.columns:
        ex.append(
            _e("expect_column_values_to_not_be_null", "every field of an image is known", column=c)
        )
    ex += [
        _e("expect_column_values_to_be_unique", "the image key", column="image_id"),
        _e(
            "expect_column_values_to_match_regex",
            "ids are digit-NNNN",
            column="image_id",
            regex="^digit-[0-9]{4}$",
        ),
        _e(
            "expect_column_values_to_be_unique",
            "the same pixels under two ids would leak between splits and pools",
            column="sha256",
        ),
        _e(
            "expect_column_values_to_match_regex",
            "a 16-hex-digit content hash",
            column="sha256",
            regex="^[0-9a-f]{16}$",
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "the CNN takes 8x8 inputs",
            column="width",
            value_set=[8],
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "the CNN takes 8x8 inputs",
            column="height",
            value_set=[8],
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "single-channel greyscale",
            column="mode",
            value_set=["L"],
        ),
        _e(
            "expect_column_values_to_be_of_type",
            "integer class labels",
            column="label",
            type_="int64",
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "ten digit classes; another value is an unseen class",
            column="label",
            value_set=DIGITS,
        ),
        _e(
            "expect_column_distinct_values_to_equal_set",
            "the label set is part of the model's contract; a change is breaking",
            column="label",
            value_set=DIGITS,
        ),
        _distribution("label", frame["label"], DIGITS),
        _e(
            "expect_column_values_to_be_of_type",
            "4-bit intensities",
            column="max_intensity",
            type_="int64",
        ),
        _e(
            "expect_column_values_to_be_between",
            "scikit-learn digits are 0..16 intensities; an all-black image has no digit",
            column="max_intensity",
            min_value=1,
            max_value=16,
        ),
        _between(
            "expect_column_mean_to_be_between",
            "max_intensity",
            frame["max_intensity"].to_numpy(float),
            np.mean,
            "the mean peak intensity",
            floor=0.01,
        ),
    ]
    return {
        "name": "digit_images",
        "dataset": "data/digit_images.csv",
        "read_csv": {"dtype": {"image_id": "str", "sha256": "str", "mode": "str"}},
        "expectations": ex,
    }


def pools_suite(frame: pd.DataFrame) -> dict[str, Any]:
    ex = [
        _e(
            "expect_table_columns_to_match_ordered_list",
            "the pool file's published layout",
            column_list=list(frame.columns),
        ),
        _rows(
            len(frame),
            exact=True,
            why="the pools partition the digits manifest: every "
            f"image is in exactly one pool ({len(frame)} rows)",
        ),
    ]
    for c in frame.columns:
        ex.append(
            _e(
                "expect_column_values_to_not_be_null",
                "a pool row without a pool, an "
                "image or a label is unusable (other rules ignore nulls)",
                column=c,
            )
        )
    ex += [
        _e(
            "expect_column_values_to_be_in_set",
            "the three pools the AL job serves",
            column="pool_id",
            value_set=POOLS,
        ),
        _distribution("pool_id", frame["pool_id"], POOLS),
        _e(
            "expect_column_values_to_be_unique",
            "an image belongs to one pool only (no leakage between pools)",
            column="image_id",
        ),
        _e(
            "expect_column_values_to_match_regex",
            "ids are digit-NNNN",
            column="image_id",
            regex="^digit-[0-9]{4}$",
        ),
        _e(
            "expect_column_values_to_be_of_type",
            "integer class labels",
            column="label",
            type_="int64",
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "ten digit classes",
            column="label",
            value_set=DIGITS,
        ),
        _distribution("label", frame["label"], DIGITS),
    ]
    return {
        "name": "al_pools",
        "dataset": "data/al_pools.csv",
        "read_csv": {"dtype": {"pool_id": "str", "image_id": "str"}},
        "expectations": ex,
    }


def pools_in_manifest_suite() -> dict[str, Any]:
    ex = [
        _e(
            "expect_column_values_to_be_in_set",
            "every pool image exists in the digits manifest",
            column="image_id",
            value_set_from={"dataset": "data/digit_images.csv", "column": "image_id"},
        ),
        _e(
            "expect_column_pair_values_to_be_equal",
            "a pool labels an image as the manifest does: a disagreement is label noise",
            column_A="label",
            column_B="manifest_label",
            ignore_row_if="either_value_is_missing",
        ),
        _e(
            "expect_column_values_to_be_unique",
            "the same pixels under two ids in the pools would leak between pools",
            column="sha256",
        ),
    ]
    return {
        "name": "al_pools_in_manifest",
        "dataset": "data/al_pools.csv",
        "read_csv": {"dtype": {"pool_id": "str", "image_id": "str"}},
        "join": {
            "dataset": "data/digit_images.csv",
            "on": "image_id",
            "columns": {"label": "manifest_label", "sha256": "sha256"},
            "read_csv": {"dtype": {"image_id": "str", "sha256": "str"}},
        },
        "expectations": ex,
    }


def write_suites(root: Path) -> list[Path]:
    data = root / "data"
    structured = pd.read_csv(data / "structured_features.csv", dtype={"id": str})
    digits = pd.read_csv(
        data / "digit_images.csv", dtype={"image_id": str, "sha256": str, "mode": str}
    )
    pools = pd.read_csv(data / "al_pools.csv", dtype={"pool_id": str, "image_id": str})
    suites = [
        structured_suite(structured),
        digits_suite(digits),
        pools_suite(pools),
        pools_in_manifest_suite(),
    ]
    out = []
    for suite in suites:
        path = root / "suites" / f"{suite['name']}.json"
        path.write_text(json.dumps(suite, indent=1) + "\n")
        out.append(path)
    return out
