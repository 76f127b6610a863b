"""Run the suites as Great Expectations checkpoints, with Data Docs, and summarise the result."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    if result.exception_info and result.exception_info.get("raised_exception"):
        parts.append(str(result.exception_info.get("exception_message", ""))[:200])
    return ", ".join(parts) or "failed"


def _column(config: Any) -> str | None:
    kwargs = config.kwargs
    if kwargs.get("column"):
        return str(kwargs["column"])
    for key in ("column_A", "column_list"):
        if kwargs.get(key):
            value = kwargs[key]
            return str(value) if isinstance(value, str) else None
    return None


class DataGate:
    """One Great Expectations context for any number of validations (building one is slow).

    With ``report_dir`` the context lives on disk and every run updates its Data Docs (made
    self-contained afterwards); without it the context is ephemeral and writes nothing.
    """

    def __init__(
        self,
        report_dir: Path | None = None,
        result_format: Literal["BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"] = "BASIC",
    ) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.report_dir = report_dir
        # BOOLEAN_ONLY skips the unexpected-value samples: same verdicts, several times faster
        self.result_format = result_format
        self.context: Any
        if report_dir is not None:
            report_dir.mkdir(parents=True, exist_ok=True)
            self.context = gx.get_context(mode="file", project_root_dir=str(report_dir))
        else:
            self.context = gx.get_context(mode="ephemeral")
        # GE's per-metric progress bars would drown the one summary table the gate prints.
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self.source = self.context.data_sources.add_or_update_pandas("validation_data")
        self._batches: dict[str, Any] = {}

    def _batch(self, name: str) -> Any:
        if name not in self._batches:
            asset = self.source.add_dataframe_asset(name=name)
            self._batches[name] = asset.add_batch_definition_whole_dataframe("all")
        return self._batches[name]

    def run(
        self, specs: list[SuiteSpec], overrides: dict[Path, str] | None = None
    ) -> DataValidation:
        """Validate every suite; ``overrides`` replaces data files' content (CSV text)."""
        results: list[SuiteResult] = []
        with warnings.catch_warnings():
            # GX 1.9+ prefers Condition objects; the suites keep pandas row_condition strings,
            # which stay reviewable JSON (GX 2 will need a migration, noted in the ADR).
            warnings.filterwarnings(
                "ignore", message=".*condition_parser", category=DeprecationWarning
            )
            for spec in specs:
                self._run_one(spec, overrides, results)
        docs = ""
        if self.report_dir is not None:
            from atelier.validation.offline import make_self_contained

            make_self_contained(self.report_dir)
            sites = self.context.get_docs_sites_urls()
            docs = str(sites[0]["site_url"]) if sites else ""
        return DataValidation(results, docs)

    def _run_one(
        self, spec: SuiteSpec, overrides: dict[Path, str] | None, results: list[SuiteResult]
    ) -> None:
        import great_expectations as gx
        from great_expectations.checkpoint import UpdateDataDocsAction  # type: ignore[attr-defined]
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        try:
            frame = spec.load_frame(overrides)
            expectations = [
                ExpectationConfiguration(**e).to_domain_obj()
                for e in spec.resolved_expectations(overrides)
            ]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            results.append(
                SuiteResult(
                    spec.name, str(spec.dataset), False, 0, error=f"{type(exc).__name__}: {exc}"
                )
            )
            return
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(name=spec.name, expectations=expectations)
        )
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=spec.name, data=self._batch(spec.name), suite=suite)
        )
        if self.report_dir is not None:
            checkpoint = self.context.checkpoints.add_or_update(
                gx.Checkpoint(
                    name=f"pr-gate-{spec.name}",
                    validation_definitions=[definition],
                    actions=[UpdateDataDocsAction(name="data_docs")],
                    result_format=self.result_format,
                )
            )
            run = checkpoint.run(batch_parameters={"dataframe": frame})
            outcomes = list(run.run_results.values())
        else:
            outcomes = [
                definition.run(
                    batch_parameters={"dataframe": frame}, result_format=self.result_format
                )
            ]
        for outcome in outcomes:
            failures = [
                FailedExpectation(config.type, _column(config), _detail(r))
                for r in outcome.results
                if not r.success and (config := r.expectation_config) is not None
            ]
            results.append(
                SuiteResult(
                    spec.name, str(spec.dataset), outcome.success, len(outcome.results), failures
                )
            )


def run_suites(specs: list[SuiteSpec], report_dir: Path) -> DataValidation:
    """Validate every suite's data set; Data Docs go under ``report_dir``."""
    return DataGate(report_dir).run(specs)
