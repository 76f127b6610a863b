"""Run a step graph: each step starts as soon as the steps it needs are done."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import cast

from atelier.deploy.change import Change
from atelier.deploy.context import Deployment
from atelier.deploy.plan import Step
from atelier.deploy.steps import Result

Listener = Callable[[str, Step, float, list[Change] | None, BaseException | None], None]


@dataclass
class Report:
    changes: list[Change] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.changed]


class StepFailed(RuntimeError):
    def __init__(self, step: Step, cause: BaseException) -> None:
        super().__init__(f"{step.label}: {type(cause).__name__}: {cause}")
        self.step = step
        self.cause = cause


def run(
    deployment: Deployment,
    plan: tuple[Step, ...],
    on_event: Listener | None = None,
    workers: int = 4,
) -> Report:
    """Run ``plan``; the first failure stops new steps, waits for running ones, and raises."""
    notify = on_event or (lambda *_: None)
    report = Report()
    started_at = time.monotonic()
    deployment.clients.warm()
    pending = list(plan)
    done: set[str] = set()
    running: dict[Future[object], tuple[Step, float]] = {}
    failure: StepFailed | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while pending or running:
            if failure is None:
                for step in [s for s in pending if all(n in done for n in s.needs)]:
                    pending.remove(step)
                    notify("start", step, 0.0, None, None)
                    running[pool.submit(step.run, deployment)] = (step, time.monotonic())
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                step, t0 = running.pop(future)
                elapsed = time.monotonic() - t0
                report.timings[step.name] = elapsed
                exc = future.exception()
                if exc is not None:
                    notify("fail", step, elapsed, None, exc)
                    failure = failure or StepFailed(step, exc)
                    continue
                result, changes = cast(Result, future.result())
                with deployment.lock:
                    deployment.results[step.name] = result
                report.changes += changes
                done.add(step.name)
                notify("done", step, elapsed, changes, None)
    report.seconds = time.monotonic() - started_at
    if failure is not None:
        raise failure from failure.cause
    return report
