"""The PR gate's data half: good data passes; corrupted data fails, naming the expectation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from atelier.validation.checkpoints import run_suites
from atelier.validation.cli import validate
from atelier.validation.datasets import BUILDERS
from atelier.validation.offline import external_urls, strip_external
from atelier.validation.suites import load_suites
from atelier_devtools.paths import REPO_ROOT

VALIDATION_DATA = REPO_ROOT / "validation_data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    root = tmp_path / "validation_data"
    shutil.copytree(VALIDATION_DATA / "suites", root / "suites")
    shutil.copytree(VALIDATION_DATA / "data", root / "data")
    return root


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_committed_golden_data_equals_a_fresh_build(builder: str) -> None:
    committed = pd.read_csv(VALIDATION_DATA / "data" / f"{builder}.csv")
    fresh = BUILDERS[builder]()
    fresh_roundtrip = pd.read_csv(
        pd.io.common.StringIO(fresh.to_csv(index=False, float_format="%.10g"))
    )
    pd.testing.assert_frame_equal(committed, fresh_roundtrip)


# slow: every suite through a file context that writes Data Docs (~10 s at rest). The fast tier
# keeps the same suites on the same data (test_data_mutations.py::
# test_the_committed_data_passes_every_suite) and the offline rewrite of the pages
# (test_external_references_are_removed_and_found).
@pytest.mark.slow
def test_reference_data_passes_and_data_docs_work_offline(data_copy: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    result = run_suites(load_suites(data_copy / "suites", data_copy), report)
    assert result.success, [r.failures for r in result.results]
    assert {r.suite for r in result.results} == {
        "structured_features",
        "digit_images",
        "al_pools",
        "al_pools_in_manifest",
    }
    assert Path(result.data_docs.removeprefix("file://")).exists()
    pages = list(report.rglob("*.html"))
    assert len(pages) >= 5
    for page in [*pages, *report.rglob("*.css"), *report.rglob("*.js")]:
        text = page.read_text(encoding="utf-8")
        assert external_urls(text) == [], page
    assert all("atelier-offline" in p.read_text(encoding="utf-8") for p in pages)


# slow: the whole CLI gate with Data Docs. The fast tier keeps the same corruption against the
# same suite, naming the same expectation and columns (test_data_mutations.py::
# test_a_corruption_fails_naming_expectation_and_column[ap-ids-and-labels-blank-half]).
@pytest.mark.slow
def test_cli_fails_on_pools_with_blank_ids_and_labels_naming_them(
    data_copy: Path, tmp_path: Path
) -> None:
    """The hole that once passed: half the pool rows without image id and label."""
    path = data_copy / "data" / "al_pools.csv"
    frame = pd.read_csv(path, dtype={"pool_id": str, "image_id": str})
    frame.loc[frame.index[::2], ["image_id", "label"]] = None
    frame.to_csv(path, index=False)
    outcome = CliRunner().invoke(
        validate,
        ["--data-only", "--data-root", str(data_copy), "--report-dir", str(tmp_path / "r")],
    )
    assert outcome.exit_code == 1, outcome.output
    assert "suite al_pools" in outcome.output
    assert "expect_column_values_to_not_be_null(image_id)" in outcome.output
    assert "expect_column_values_to_not_be_null(label)" in outcome.output
    assert (tmp_path / "r" / "summary.json").exists()


def test_external_references_are_removed_and_found() -> None:
    page = (
        '<html><head><link rel="stylesheet" href="https://cdn.example.com/b.css">'
        '<script src="//cdn.example.com/j.js"></script></head>'
        '<body><a href="https://greatexpectations.io">GX</a>'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg></body></html>'
    )
    assert len(external_urls(page)) == 3
    fixed = strip_external(page)
    assert external_urls(fixed) == []
    assert "atelier-offline" in fixed and ">GX</a>" in fixed


def test_committed_suites_are_what_the_profiler_generates(data_copy: Path) -> None:
    """A hand edit or a stale suite shows up here: regenerate with `atelier validate --profile`
    and review the diff."""
    from atelier.validation.profile import write_suites

    for path in write_suites(data_copy):
        committed = VALIDATION_DATA / "suites" / path.name
        assert path.read_text() == committed.read_text(), path.name
