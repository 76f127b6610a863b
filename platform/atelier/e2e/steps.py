"""A tiny step runner: each step is timed, shown as it runs, and recorded for the report."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console


class StepFailed(Exception):
    """A step's check did not hold; the message says what was expected and what was seen."""


@dataclass
class StepResult:
    name: str
    seconds: float
    ok: bool
    detail: str = ""
    error: str = ""
    logs: str = ""


@dataclass
class Run:
    console: Console = field(default_factory=Console)
    results: list[StepResult] = field(default_factory=list)
    log_collector: Callable[[], str] | None = None

    @property
    def failed(self) -> StepResult | None:
        return next((r for r in self.results if not r.ok), None)

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` as step ``name``; a failure is recorded (with logs) and re-raised."""
        start = time.perf_counter()
        with self.console.status(f"[bold]{name}[/]…"):
            try:
                value = fn()
            except Exception as exc:
                seconds = time.perf_counter() - start
                logs = self._collect_logs()
                error = str(exc) if isinstance(exc, StepFailed) else traceback.format_exc()
                self.results.append(StepResult(name, seconds, False, error=error, logs=logs))
                self.console.print(f"[red]✗[/] {name} ({seconds:.1f} s): {exc}")
                raise
        seconds = time.perf_counter() - start
        detail = value if isinstance(value, str) else ""
        self.results.append(StepResult(name, seconds, True, detail=detail))
        self.console.print(f"[green]✓[/] {name} ({seconds:.1f} s) {detail}")
        return value

    def _collect_logs(self) -> str:
        if self.log_collector is None:
            return ""
        try:
            return self.log_collector()
        except Exception as exc:  # noqa: BLE001 - the report must still be written
            return f"(could not collect logs: {exc})"
