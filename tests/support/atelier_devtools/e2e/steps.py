"""A tiny step runner: each step is timed, shown as it runs, and recorded for the report."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    # seconds since the run began, when the step started and ended (for the wall-clock total)
    started: float = 0.0
    ended: float = 0.0
    concurrent_with: tuple[str, ...] = ()


@dataclass
class Run:
    console: Console = field(default_factory=Console)
    results: list[StepResult] = field(default_factory=list)
    log_collector: Callable[[], str] | None = None
    t0: float = field(default_factory=time.perf_counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def failed(self) -> StepResult | None:
        return next((r for r in self.results if not r.ok), None)

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` as step ``name``; a failure is recorded (with logs) and re-raised."""
        with self.console.status(f"[bold]{name}[/]…"):
            result, value, exc = self._timed(name, fn)
        with self._lock:
            self.results.append(result)
        self._print(result, exc)
        if exc is not None:
            raise exc
        return value

    def concurrently(self, steps: Sequence[tuple[str, Callable[[], Any]]]) -> list[Any]:
        """Run independent steps at the same time, each timed on its own and recorded in the
        given order, marked as concurrent; every one is awaited, then the first failure is
        re-raised."""
        names = tuple(name for name, _ in steps)
        label = " + ".join(names)
        with (
            self.console.status(f"[bold]{label}[/] (concurrently)…"),
            ThreadPoolExecutor(max_workers=len(steps)) as pool,
        ):
            futures = [pool.submit(self._timed, name, fn, print_now=True) for name, fn in steps]
            outcomes = [f.result() for f in futures]
        first_exc: Exception | None = None
        values = []
        for result, value, exc in outcomes:
            result.concurrent_with = tuple(n for n in names if n != result.name)
            with self._lock:
                self.results.append(result)
            first_exc = first_exc or exc
            values.append(value)
        if first_exc is not None:
            raise first_exc
        return values

    def _timed(
        self, name: str, fn: Callable[[], Any], print_now: bool = False
    ) -> tuple[StepResult, Any, Exception | None]:
        start = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - recorded, then re-raised by the caller
            end = time.perf_counter()
            logs = self._collect_logs()
            error = str(exc) if isinstance(exc, StepFailed) else traceback.format_exc()
            result = StepResult(
                name,
                end - start,
                False,
                error=error,
                logs=logs,
                started=start - self.t0,
                ended=end - self.t0,
            )
            if print_now:
                self._print(result, exc)
            return result, None, exc
        end = time.perf_counter()
        detail = value if isinstance(value, str) else ""
        result = StepResult(
            name, end - start, True, detail=detail, started=start - self.t0, ended=end - self.t0
        )
        if print_now:
            self._print(result)
        return result, value, None

    def _print(self, r: StepResult, exc: Exception | None = None) -> None:
        if r.ok:
            self.console.print(f"[green]✓[/] {r.name} ({r.seconds:.1f} s) {r.detail}")
        else:
            self.console.print(f"[red]✗[/] {r.name} ({r.seconds:.1f} s): {exc or r.error}")

    def _collect_logs(self) -> str:
        if self.log_collector is None:
            return ""
        try:
            return self.log_collector()
        except Exception as exc:  # noqa: BLE001 - the report must still be written
            return f"(could not collect logs: {exc})"
