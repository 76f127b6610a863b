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
    _in_set,
    _layout,
    _not_null,
    _of_type,
    _regex,
    _round,
    _unique,
)


def structured_suite(frame: pd.DataFrame) -> dict[str, Any]:
    features = [c for c in frame.columns if c not in ("id", "target")]
    ex = _layout(
        frame,
        "the model's feature contract is positional: a dropped, added or moved column "
        "feeds the wrong numbers to the service",
        exact=False,
        rows_why=f"{len(frame)} reference rows; losing over 5 % is a truncation, growing over "
        "25 % is a different data set that needs a new reference",
    )
    ex += [
        _not_null("id", "the record key"),
        _unique(
            "id",
            "one row per record: a duplicate double-counts "
            "a patient and can leak between the train and test splits",
        ),
        _regex("id", "^[0-9]{1,32}$", "ids are numeric strings in the source system"),
        _not_null("target", "every record is labelled"),
        _of_type("target", "int64", "integer class labels"),
        _in_set(
            "target",
            [0, 1],
            "binary task: 0 malignant, 1 benign; another "
            "value is an unseen class the model cannot predict",
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
            _not_null(f, "the model has no imputer"),
            _of_type(f, "float64", "a measurement, read as float"),
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
    ex = _layout(
        frame,
        "the manifest's published layout",
        exact=True,
        rows_why="the manifest lists the whole scikit-learn digits set "
        f"({len(frame)} images): a missing or extra row is an error, not an update",
    )
    ex += [_not_null(c, "every field of an image is known") for c in frame.columns]
    ex += [
        _unique("image_id", "the image key"),
        _regex("image_id", "^digit-[0-9]{4}$", "ids are digit-NNNN"),
        _unique("sha256", "the same pixels under two ids would leak between splits and pools"),
        _regex("sha256", "^[0-9a-f]{16}$", "a 16-hex-digit content hash"),
        _in_set("width", [8], "the CNN takes 8x8 inputs"),
        _in_set("height", [8], "the CNN takes 8x8 inputs"),
        _in_set("mode", ["L"], "single-channel greyscale"),
        _of_type("label", "int64", "integer class labels"),
        _in_set("label", DIGITS, "ten digit classes; another value is an unseen class"),
        _e(
            "expect_column_distinct_values_to_equal_set",
            "the label set is part of the model's contract; a change is breaking",
            column="label",
            value_set=DIGITS,
        ),
        _distribution("label", frame["label"], DIGITS),
        _of_type("max_intensity", "int64", "4-bit intensities"),
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
    ex = _layout(
        frame,
        "the pool file's published layout",
        exact=True,
        rows_why="the pools partition the digits manifest: every "
        f"image is in exactly one pool ({len(frame)} rows)",
    )
    unusable = (
        "a pool row without a pool, an image or a label is unusable (other rules ignore nulls)"
    )
    ex += [_not_null(c, unusable) for c in frame.columns]
    ex += [
        _in_set("pool_id", POOLS, "the three pools the AL job serves"),
        _distribution("pool_id", frame["pool_id"], POOLS),
        _unique("image_id", "an image belongs to one pool only (no leakage between pools)"),
        _regex("image_id", "^digit-[0-9]{4}$", "ids are digit-NNNN"),
        _of_type("label", "int64", "integer class labels"),
        _in_set("label", DIGITS, "ten digit classes"),
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
        _unique("sha256", "the same pixels under two ids in the pools would leak between pools"),
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
