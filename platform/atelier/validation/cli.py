"""`atelier validate`: the PR gate. Data suites, then golden models; one table; exit 1 on failure."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from atelier.cli_settings import current_settings
from atelier.validation.checkpoints import run_suites
from atelier.validation.datasets import write_all
from atelier.validation.golden import run_golden
from atelier.validation.lineage import LineageRefused
from atelier.validation.lineage import check as check_lineage
from atelier.validation.lineage import record as record_lineage
from atelier.validation.profile import write_suites
from atelier.validation.suites import load_suites


@click.command()
@click.option("--data-only", is_flag=True, help="Run the Great Expectations suites only.")
@click.option(
    "--regenerate", is_flag=True, help="Rebuild validation_data/data/ from scikit-learn first."
)
@click.option(
    "--data-root",
    type=click.Path(path_type=Path),
    default=None,
    help="Validate another copy of validation_data/ (suites/ and data/).",
)
@click.option("--report-dir", type=click.Path(path_type=Path), default=None)
@click.option(
    "--profile", is_flag=True, help="Rewrite the suites from the reference data (review the diff)."
)
@click.option(
    "--record-lineage",
    "lineage_model",
    default=None,
    help="Record MODEL's new version with the current training and validation fingerprints.",
)
@click.option("--model-version", default=None, help="The version label --record-lineage records.")
def validate(
    data_only: bool,
    regenerate: bool,
    data_root: Path | None,
    report_dir: Path | None,
    profile: bool,
    lineage_model: str | None,
    model_version: str | None,
) -> None:
    """Run the PR validation gate and write reports/validation/."""
    settings = current_settings()
    root = data_root or settings.repo_root / "validation_data"
    out = report_dir or settings.repo_root / "reports" / "validation"
    console = Console()
    if lineage_model is not None:
        if not model_version:
            raise click.UsageError("--record-lineage needs --model-version")
        try:
            record_lineage(settings.repo_root, lineage_model, model_version)
        except LineageRefused as exc:
            raise click.ClickException(str(exc)) from exc
        console.print(f"recorded {lineage_model} {model_version} in validation_data/lineage.json")
        return
    if regenerate:
        write_all(root / "data")
    if profile:
        for path in write_suites(root):
            console.print(f"wrote {path}: review the diff before committing")
    with console.status("Great Expectations checkpoints…"):
        data = run_suites(load_suites(root / "suites", root), out)
    golden = []
    if not data_only:
        with console.status("golden-model tests (fixed seeds, thresholds, golden predictions)…"):
            golden = run_golden(settings.repo_root, out)

    table = Table(title="PR validation gate")
    for column in ("check", "kind", "result", "detail"):
        table.add_column(column)
    failed: list[str] = []
    for r in data.results:
        detail = (
            r.error
            or "; ".join(f"{f.expectation}({f.column or ''}): {f.detail}" for f in r.failures[:4])
            or f"{r.evaluated} expectations"
        )
        table.add_row(r.suite, "data", "[green]pass[/]" if r.success else "[red]FAIL[/]", detail)
        if not r.success:
            failed.append(
                f"suite {r.suite}: "
                + (r.error or ", ".join(f"{f.expectation}({f.column or ''})" for f in r.failures))
            )
    # Lineage is about the repository itself, not about another copy of its data.
    lineage = [] if data_root is not None else check_lineage(settings.repo_root)
    for problem in lineage:
        table.add_row(f"lineage {problem.model}", "lineage", "[red]FAIL[/]", problem.message)
        failed.append(f"lineage {problem.model}: {problem.message}")
    for g in golden:
        table.add_row(g.test, "model", "[green]pass[/]" if g.success else "[red]FAIL[/]", g.message)
        if not g.success:
            failed.append(f"model test {g.test}: {g.message}")
    console.print(table)
    console.print(f"Data Docs: {data.data_docs}")
    summary = {
        "success": not failed,
        "failed": failed,
        "data_docs": data.data_docs,
        "data": [asdict(r) for r in data.results],
        "golden": [asdict(g) for g in golden],
        "lineage": [asdict(p) for p in lineage],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if failed:
        raise click.ClickException("validation gate failed:\n  " + "\n  ".join(failed))
    console.print("[green]validation gate passed[/]")
