"""Mutation tests of the data gate: every committed data set, a matrix of corruptions.

Each corruption must fail the suites and the failure must name the expectation and the column
(``None`` for table-level rules). The matrix runs in one process with one Great Expectations
context; each case validates only the suites that read the corrupted file (the same code path
`atelier validate` takes, with the file's content replaced). Corruptions the gate cannot catch
by design are in ``NOT_CAUGHT`` with the reason, and a test shows they indeed pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atelier.validation.checkpoints import DataGate, DataValidation
from atelier.validation.suites import SuiteSpec, load_suites
from atelier_devtools.paths import REPO_ROOT

VALIDATION_DATA = REPO_ROOT / "validation_data"
SPECS = load_suites(VALIDATION_DATA / "suites", VALIDATION_DATA)
FILES = {s.name: s for s in SPECS if s.join is None}

Mutate = Callable[[pd.DataFrame], "pd.DataFrame | str"]


@dataclass(frozen=True)
class Mutation:
    dataset: str  # the suite that owns the file
    mutate: Mutate
    suite: str  # the suite expected to fail
    expectation: str
    columns: tuple[str | None, ...]  # any of these columns may be named


def _rng() -> np.random.Generator:
    return np.random.default_rng(15)


def _half(frame: pd.DataFrame) -> np.ndarray:
    return _rng().permutation(len(frame))[: len(frame) // 2]


def blank(*columns: str) -> Mutate:
    def go(f: pd.DataFrame) -> pd.DataFrame:
        rows = _half(f)
        for c in columns:
            f[c] = f[c].astype(object)
            f.loc[rows, c] = None
        return f

    return go


def set_value(column: str, value: object, rows: int = 5) -> Mutate:
    def go(f: pd.DataFrame) -> pd.DataFrame:
        f[column] = f[column].astype(object)
        f.loc[f.index[:rows], column] = value
        return f

    return go


def duplicate_rows(f: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([f, f.iloc[:20]], ignore_index=True)


def drop_column(column: str) -> Mutate:
    return lambda f: f.drop(columns=[column])


def extra_column(f: pd.DataFrame) -> pd.DataFrame:
    f["notes"] = "n/a"
    return f


def reorder(f: pd.DataFrame) -> pd.DataFrame:
    cols = list(f.columns)
    cols[1], cols[2] = cols[2], cols[1]
    return f[cols]


def truncate(f: pd.DataFrame) -> pd.DataFrame:
    return f.iloc[: len(f) // 2]


def type_error(column: str, text: str) -> Mutate:
    return set_value(column, text, rows=1)


def shift(column: str, stds: float = 1.0) -> Mutate:
    def go(f: pd.DataFrame) -> pd.DataFrame:
        f[column] = f[column] + stds * f[column].std()
        return f

    return go


def scale(column: str, factor: float) -> Mutate:
    def go(f: pd.DataFrame) -> pd.DataFrame:
        f[column] = f[column] * factor
        return f

    return go


def flip_binary(share: float) -> Mutate:
    def go(f: pd.DataFrame) -> pd.DataFrame:
        rows = _rng().random(len(f)) < share
        f.loc[rows, "target"] = 1 - f.loc[rows, "target"]
        return f

    return go


def label_noise(share: float) -> Mutate:
    """Replace ``share`` of the labels by a different random digit."""

    def go(f: pd.DataFrame) -> pd.DataFrame:
        rng = _rng()
        rows = np.flatnonzero(rng.random(len(f)) < share)
        f.loc[rows, "label"] = (f.loc[rows, "label"] + rng.integers(1, 10, len(rows))) % 10
        return f

    return go


def relabel(src: int, dst: int) -> Mutate:
    def go(f: pd.DataFrame) -> pd.DataFrame:
        rows = f.index[f["label"] == src]
        f.loc[rows[: len(rows) // 2 + 1], "label"] = dst
        return f

    return go


def drop_class(f: pd.DataFrame) -> pd.DataFrame:
    malignant = f.index[f["target"] == 0]
    return f.drop(index=malignant[: len(malignant) // 2])


def leak_to_other_pool(f: pd.DataFrame) -> pd.DataFrame:
    """Ten images of pool 1914 also appear in pool 1918 (replacing ten of its own)."""
    leaked = f.index[f["pool_id"] == "1914"][:10]
    target = f.index[f["pool_id"] == "1918"][:10]
    f.loc[target, ["image_id", "label"]] = f.loc[leaked, ["image_id", "label"]].to_numpy()
    return f


def unknown_image(f: pd.DataFrame) -> pd.DataFrame:
    f.loc[f.index[:3], "image_id"] = ["digit-9997", "digit-9998", "digit-9999"]
    return f


def same_pixels_twice(f: pd.DataFrame) -> pd.DataFrame:
    f.loc[1, "sha256"] = f.loc[0, "sha256"]
    return f


def move_pool(f: pd.DataFrame) -> pd.DataFrame:
    rows = f.index[f["pool_id"] == "1939"]
    f.loc[rows[: len(rows) // 2], "pool_id"] = "1914"
    return f


def shuffle_rows(f: pd.DataFrame) -> pd.DataFrame:
    return f.sample(frac=1.0, random_state=15).reset_index(drop=True)


def nudge_one_value(f: pd.DataFrame) -> pd.DataFrame:
    f.loc[10, "mean_radius"] = f.loc[10, "mean_radius"] * 1.1
    return f


def swap_pools(f: pd.DataFrame) -> pd.DataFrame:
    a = f.index[f["pool_id"] == "1914"][:5]
    b = f.index[f["pool_id"] == "1918"][:5]
    f.loc[a, "pool_id"], f.loc[b, "pool_id"] = "1918", "1914"
    return f


TABLE = "expect_table_columns_to_match_ordered_list"
NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"
OF_TYPE = "expect_column_values_to_be_of_type"
BETWEEN = "expect_column_values_to_be_between"
MEAN = "expect_column_mean_to_be_between"
KL = "expect_column_kl_divergence_to_be_less_than"
CONDITIONAL = (
    "worst_perimeter",
    "worst_concave_points",
    "mean_concave_points",
    "worst_radius",
    "mean_perimeter",
    "worst_area",
    "mean_radius",
    "mean_area",
    "mean_concavity",
)
SF, DI, AP, AM = "structured_features", "digit_images", "al_pools", "al_pools_in_manifest"

MATRIX: dict[str, Mutation] = {
    # structured_features
    "sf-null-feature-half": Mutation(SF, blank("mean_radius"), SF, NOT_NULL, ("mean_radius",)),
    "sf-null-id-half": Mutation(SF, blank("id"), SF, NOT_NULL, ("id",)),
    "sf-null-target-half": Mutation(SF, blank("target"), SF, NOT_NULL, ("target",)),
    "sf-duplicate-rows": Mutation(SF, duplicate_rows, SF, UNIQUE, ("id",)),
    "sf-dropped-column": Mutation(SF, drop_column("mean_texture"), SF, TABLE, (None,)),
    "sf-extra-column": Mutation(SF, extra_column, SF, TABLE, (None,)),
    "sf-reordered-columns": Mutation(SF, reorder, SF, TABLE, (None,)),
    "sf-truncated": Mutation(SF, truncate, SF, "expect_table_row_count_to_be_between", (None,)),
    "sf-type-error": Mutation(
        SF, type_error("mean_texture", "twelve"), SF, OF_TYPE, ("mean_texture",)
    ),
    "sf-out-of-range": Mutation(SF, set_value("mean_area", -12.0, 1), SF, BETWEEN, ("mean_area",)),
    "sf-shifted-feature": Mutation(
        SF, shift("mean_smoothness", 0.5), SF, MEAN, ("mean_smoothness",)
    ),
    "sf-unit-change": Mutation(SF, scale("worst_area", 0.1), SF, MEAN, ("worst_area",)),
    "sf-label-noise-30": Mutation(SF, flip_binary(0.3), SF, MEAN, CONDITIONAL),
    "sf-class-imbalance": Mutation(SF, drop_class, SF, MEAN, ("target",)),
    "sf-unseen-class": Mutation(SF, set_value("target", 2), SF, IN_SET, ("target",)),
    # digit_images
    "di-null-label-half": Mutation(DI, blank("label"), DI, NOT_NULL, ("label",)),
    "di-null-sha-half": Mutation(DI, blank("sha256"), DI, NOT_NULL, ("sha256",)),
    "di-duplicate-rows": Mutation(DI, duplicate_rows, DI, UNIQUE, ("image_id",)),
    "di-dropped-column": Mutation(DI, drop_column("sha256"), DI, TABLE, (None,)),
    "di-extra-column": Mutation(DI, extra_column, DI, TABLE, (None,)),
    "di-reordered-columns": Mutation(DI, reorder, DI, TABLE, (None,)),
    "di-truncated": Mutation(DI, truncate, DI, "expect_table_row_count_to_equal", (None,)),
    "di-type-error": Mutation(DI, type_error("label", "seven"), DI, OF_TYPE, ("label",)),
    "di-out-of-range": Mutation(
        DI, set_value("max_intensity", 40, 1), DI, BETWEEN, ("max_intensity",)
    ),
    "di-shifted-feature": Mutation(DI, shift("max_intensity", 0.5), DI, MEAN, ("max_intensity",)),
    "di-unseen-mode": Mutation(DI, set_value("mode", "RGB"), DI, IN_SET, ("mode",)),
    "di-unseen-size": Mutation(DI, set_value("width", 28), DI, IN_SET, ("width",)),
    "di-unseen-label": Mutation(DI, set_value("label", 10), DI, IN_SET, ("label",)),
    "di-label-shift": Mutation(DI, relabel(3, 5), DI, KL, ("label",)),
    "di-same-pixels-twice": Mutation(DI, same_pixels_twice, DI, UNIQUE, ("sha256",)),
    "di-bad-id": Mutation(
        DI,
        set_value("image_id", "img_1", 1),
        DI,
        "expect_column_values_to_match_regex",
        ("image_id",),
    ),
    # al_pools (and its consistency with the digits manifest)
    "ap-ids-and-labels-blank-half": Mutation(
        AP, blank("image_id", "label"), AP, NOT_NULL, ("image_id", "label")
    ),
    "ap-null-pool-half": Mutation(AP, blank("pool_id"), AP, NOT_NULL, ("pool_id",)),
    "ap-duplicate-rows": Mutation(AP, duplicate_rows, AP, UNIQUE, ("image_id",)),
    "ap-dropped-column": Mutation(AP, drop_column("label"), AP, TABLE, (None,)),
    "ap-extra-column": Mutation(AP, extra_column, AP, TABLE, (None,)),
    "ap-reordered-columns": Mutation(AP, reorder, AP, TABLE, (None,)),
    "ap-truncated": Mutation(AP, truncate, AP, "expect_table_row_count_to_equal", (None,)),
    "ap-type-error": Mutation(AP, type_error("label", "x"), AP, OF_TYPE, ("label",)),
    "ap-out-of-range-label": Mutation(AP, set_value("label", 11), AP, IN_SET, ("label",)),
    "ap-unseen-pool": Mutation(AP, set_value("pool_id", "2001"), AP, IN_SET, ("pool_id",)),
    "ap-pool-imbalance": Mutation(AP, move_pool, AP, KL, ("pool_id",)),
    "ap-leak-between-pools": Mutation(AP, leak_to_other_pool, AP, UNIQUE, ("image_id",)),
    "ap-leak-seen-in-manifest-join": Mutation(AP, leak_to_other_pool, AM, UNIQUE, ("sha256",)),
    "ap-image-not-in-manifest": Mutation(AP, unknown_image, AM, IN_SET, ("image_id",)),
    "ap-label-noise-30": Mutation(
        AP, label_noise(0.3), AM, "expect_column_pair_values_to_be_equal", ("label",)
    ),
    "ap-label-shift": Mutation(AP, relabel(3, 5), AP, KL, ("label",)),
    # the manifest changes under the pools: the pools' labels no longer agree with it
    "di-label-noise-seen-by-pools": Mutation(
        DI, label_noise(0.3), AM, "expect_column_pair_values_to_be_equal", ("label",)
    ),
}

# Corruptions the data gate cannot catch by design, and why (each is shown to pass below).
NOT_CAUGHT: dict[str, tuple[str, Mutate, str]] = {
    "sf-rows-shuffled": (
        SF,
        shuffle_rows,
        "row order carries no meaning: rows are keyed by id and the split is by id",
    ),
    "sf-one-plausible-wrong-value": (
        SF,
        nudge_one_value,
        "a single in-range value 10 % off has no second source to be checked against; the "
        "distribution rules are built to tolerate sampling noise, which dwarfs one row",
    ),
    "sf-label-noise-3": (
        SF,
        flip_binary(0.03),
        "3 % label noise moves the class means by less than the 5-SE bounds; catching it "
        "would make an ordinary data refresh fail (the model gate measures its effect)",
    ),
    "ap-swap-five-images-between-pools": (
        AP,
        swap_pools,
        "which pool an image belongs to is a policy, not a fact: any partition with balanced "
        "pools and no image twice is valid",
    ),
}


@pytest.fixture(scope="module")
def gate() -> DataGate:
    return DataGate(result_format="BOOLEAN_ONLY")


def _touched(spec: SuiteSpec, original: pd.DataFrame, changed: pd.DataFrame) -> SuiteSpec:
    """The suite reduced to the expectations whose input the corruption changed.

    Expectations are independent: one whose column (and row condition) holds exactly the
    reference values returns the reference's result, a pass (see the first test). So a failure
    among the rest is a failure of the whole suite, and a pass of the rest is a pass of the
    whole. Rows added, dropped or moved change every column: the whole suite runs."""
    if spec.join is not None or not original.index.equals(changed.index):
        return spec
    columns = set(original.columns) | set(changed.columns)
    touched = {
        c
        for c in columns
        if c not in original or c not in changed or not original[c].equals(changed[c])
    }

    def needed(e: dict[str, object]) -> bool:
        kwargs = e.get("kwargs", {})
        assert isinstance(kwargs, dict)
        named = {kwargs.get(k) for k in ("column", "column_A", "column_B")} - {None}
        condition = str(kwargs.get("row_condition", ""))
        return not named or bool(named & touched) or any(c in condition for c in touched)

    return dataclasses.replace(spec, expectations=[e for e in spec.expectations if needed(e)])


def _overrides(dataset: str, mutate: Mutate) -> tuple[dict[Path, str], list[SuiteSpec]]:
    owner = FILES[dataset]
    frame = owner.read()
    changed = mutate(frame.copy())
    text = changed if isinstance(changed, str) else changed.to_csv(index=False)
    reread = owner.read(text=text)
    affected = [
        _touched(s, frame, reread) if s.dataset == owner.dataset else s
        for s in SPECS
        if owner.dataset in s.depends_on()
    ]
    return {owner.dataset: text}, affected


def _failures(result: DataValidation, suite: str) -> set[tuple[str, str | None]]:
    found = next(r for r in result.results if r.suite == suite)
    return {(f.expectation, f.column) for f in found.failures}


def test_the_committed_data_passes_every_suite(gate: DataGate) -> None:
    result = gate.run(SPECS)
    assert result.success, [(r.suite, r.error, r.failures) for r in result.results if not r.success]
    assert {r.suite for r in result.results} == {SF, DI, AP, AM}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_a_corruption_fails_naming_expectation_and_column(gate: DataGate, name: str) -> None:
    m = MATRIX[name]
    overrides, affected = _overrides(m.dataset, m.mutate)
    result = gate.run(affected, overrides)
    assert not result.success, f"{name} passed the gate"
    failures = _failures(result, m.suite)
    named = {(e, c) for e, c in failures if e == m.expectation and c in m.columns}
    assert named, (
        f"{name}: expected {m.expectation} on {m.columns}, got {sorted(failures, key=str)}"
    )


@pytest.mark.parametrize("name", sorted(NOT_CAUGHT))
def test_a_corruption_listed_as_not_caught_indeed_passes(gate: DataGate, name: str) -> None:
    dataset, mutate, reason = NOT_CAUGHT[name]
    overrides, affected = _overrides(dataset, mutate)
    result = gate.run(affected, overrides)
    assert result.success, f"{name} is now caught: move it to MATRIX ({reason})"


def test_every_committed_data_set_has_mutations() -> None:
    assert {m.dataset for m in MATRIX.values()} == set(FILES)
    kinds = {name.split("-", 1)[1] for name in MATRIX}
    for kind in (
        "duplicate-rows",
        "dropped-column",
        "extra-column",
        "reordered-columns",
        "truncated",
        "type-error",
    ):
        assert kind in kinds
