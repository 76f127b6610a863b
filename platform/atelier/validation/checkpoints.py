"""Run the suites as Great Expectations checkpoints, with Data Docs, and summarise the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atelier.validation.suites import SuiteSpec


@dataclass
class FailedExpectation:
    expectation: str
    column: str | None
    detail: str


@dataclass
class SuiteResult:
    suite: str
    dataset: str
    success: bool
    evaluated: int
    failures: list[FailedExpectation] = field(default_factory=list)
    error: str = ""


@dataclass
class DataValidation:
    results: list[SuiteResult]
    data_docs: str

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)


def _detail(result: Any) -> str:
    info = result.result or {}
    parts = []
    for key in ("observed_value", "unexpected_count", "unexpected_percent"):
        if key in info and info[key] is not None:
            parts.append(f"{key}={info[key]}")
    sample = info.get("partial_unexpected_list")
    if sample:
        parts.append(f"e.g. {sample[:3]}")
    return ", ".join(parts) or "failed"


def run_suites(specs: list[SuiteSpec], report_dir: Path) -> DataValidation:
    """Validate every suite's data set; Data Docs go under ``report_dir``."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction  # type: ignore[attr-defined]
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    report_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(report_dir))
    # GE's per-metric progress bars would drown the one summary table the gate prints.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_or_update_pandas("validation_data")
    results: list[SuiteResult] = []
    validations = []
    frames = {}
    for spec in specs:
        try:
            frames[spec.name] = spec.load_frame()
            expectations = [
                ExpectationConfiguration(**e).to_domain_obj() for e in spec.expectations
            ]
        except (OSError, ValueError, TypeError) as exc:
            results.append(SuiteResult(spec.name, str(spec.dataset), False, 0, error=str(exc)))
            continue
        asset = source.add_dataframe_asset(name=spec.name)
        batch = asset.add_batch_definition_whole_dataframe("all")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=spec.name, expectations=expectations)
        )
        validations.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
            )
        )
    for definition in validations:
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"pr-gate-{definition.name}",
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="data_docs")],
            )
        )
        run = checkpoint.run(batch_parameters={"dataframe": frames[definition.name]})
        for outcome in run.run_results.values():
            failures = [
                FailedExpectation(config.type, config.kwargs.get("column"), _detail(r))
                for r in outcome.results
                if not r.success and (config := r.expectation_config) is not None
            ]
            dataset = next(str(s.dataset) for s in specs if s.name == definition.name)
            results.append(
                SuiteResult(
                    definition.name, dataset, outcome.success, len(outcome.results), failures
                )
            )
    sites = context.get_docs_sites_urls()
    docs = str(sites[0]["site_url"]) if sites else ""
    return DataValidation(results, docs)
