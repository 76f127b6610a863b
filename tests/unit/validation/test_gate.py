"""The PR gate's data half: good data passes; corrupted data fails, naming the expectation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from atelier.config import REPO_ROOT
from atelier.validation.checkpoints import run_suites
from atelier.validation.cli import validate
from atelier.validation.datasets import BUILDERS
from atelier.validation.suites import load_suites

VALIDATION_DATA = REPO_ROOT / "validation_data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    root = tmp_path / "validation_data"
    shutil.copytree(VALIDATION_DATA / "suites", root / "suites")
    shutil.copytree(VALIDATION_DATA / "data", root / "data")
    return root


def _corrupt_features(root: Path, mutate: str) -> None:
    path = root / "data" / "structured_features.csv"
    frame = pd.read_csv(path, dtype={"id": str})
    if mutate == "null":
        frame.loc[3, "mean_radius"] = None
    elif mutate == "range":
        frame.loc[5, "mean_area"] = -12.0
    elif mutate == "type":
        frame["mean_texture"] = frame["mean_texture"].astype(str)
        frame.loc[7, "mean_texture"] = "twelve"
    elif mutate == "duplicate-id":
        frame.loc[9, "id"] = frame.loc[8, "id"]
    frame.to_csv(path, index=False)


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_committed_golden_data_equals_a_fresh_build(builder: str) -> None:
    committed = pd.read_csv(VALIDATION_DATA / "data" / f"{builder}.csv")
    fresh = BUILDERS[builder]()
    fresh_roundtrip = pd.read_csv(
        pd.io.common.StringIO(fresh.to_csv(index=False, float_format="%.10g"))
    )
    pd.testing.assert_frame_equal(committed, fresh_roundtrip)


def test_reference_data_passes(data_copy: Path, tmp_path: Path) -> None:
    result = run_suites(load_suites(data_copy / "suites", data_copy), tmp_path / "report")
    assert result.success, [r.failures for r in result.results]
    assert {r.suite for r in result.results} == {"structured_features", "digit_images", "al_pools"}
    assert Path(result.data_docs.removeprefix("file://")).exists()


@pytest.mark.parametrize(
    ("mutation", "expectation", "column"),
    [
        ("null", "expect_column_values_to_not_be_null", "mean_radius"),
        ("range", "expect_column_values_to_be_between", "mean_area"),
        ("type", "expect_column_values_to_be_of_type", "mean_texture"),
        ("duplicate-id", "expect_column_values_to_be_unique", "id"),
    ],
)
def test_corrupted_data_fails_naming_the_expectation(
    data_copy: Path, tmp_path: Path, mutation: str, expectation: str, column: str
) -> None:
    _corrupt_features(data_copy, mutation)
    result = run_suites(load_suites(data_copy / "suites", data_copy), tmp_path / "report")
    assert not result.success
    features = next(r for r in result.results if r.suite == "structured_features")
    assert (expectation, column) in {(f.expectation, f.column) for f in features.failures}


def test_cli_exits_non_zero_and_says_which_expectation(data_copy: Path, tmp_path: Path) -> None:
    _corrupt_features(data_copy, "range")
    outcome = CliRunner().invoke(
        validate,
        ["--data-only", "--data-root", str(data_copy), "--report-dir", str(tmp_path / "r")],
    )
    assert outcome.exit_code == 1
    assert "suite structured_features" in outcome.output
    assert "expect_column_values_to_be_between(mean_area)" in outcome.output
    assert (tmp_path / "r" / "summary.json").exists()
