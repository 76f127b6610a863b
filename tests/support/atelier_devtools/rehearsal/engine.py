"""Run the flow's steps in order; the first failure stops the rehearsal and names its step."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from atelier_devtools.rehearsal.flow import Step

PASSED, FAILED, NOT_REPLAYED, NOT_RUN = "passed", "failed", "not replayed", "not run"


@dataclass
class Outcome:
    name: str
    phase: str
    workflow: str
    job: str
    session: str
    status: str
    seconds: float = 0.0
    started: float = 0.0  # seconds since the rehearsal started
    detail: str = ""

    def as_dict(self, accounts: Mapping[str, str]) -> dict[str, Any]:
        return {"name": self.name, "account": accounts.get(self.phase, ""), "phase": self.phase,
                "workflow": self.workflow, "job": self.job, "session": self.session,
                "status": self.status, "seconds": round(self.seconds, 2),
                "started": round(self.started, 2), "detail": self.detail}  # fmt: skip


class RehearsalFailed(RuntimeError):
    """A step failed: ``outcome`` is that step's, ``outcomes`` every step's."""

    def __init__(self, outcome: Outcome, outcomes: list[Outcome]) -> None:
        super().__init__(f"step {outcome.name!r} ({outcome.workflow} / {outcome.job}, "
                         f"nox -s {outcome.session}) failed: {outcome.detail}")  # fmt: skip
        self.outcome = outcome
        self.outcomes = outcomes


Listener = Callable[[str, Outcome], None]


def run(
    steps: list[tuple[Step | None, str, Callable[[], str]]],
    not_replayed: Mapping[str, str],
    on_event: Listener = lambda *_: None,
) -> list[Outcome]:
    """``steps``: (workflow step or None for the rehearsal's own, name, action). Every step gets
    an outcome; after a failure the rest are ``not run``. Raises :class:`RehearsalFailed`."""
    t0 = time.monotonic()
    outcomes: list[Outcome] = []
    failure: Outcome | None = None
    for step, name, action in steps:
        outcome = Outcome(name, step.phase if step else name.split(" ", 1)[0],
                          step.workflow if step else "rehearsal", step.job if step else "-",
                          step.session if step else name.split(" · ", 1)[-1], NOT_RUN)  # fmt: skip
        outcomes.append(outcome)
        if failure is not None:
            continue
        if step is not None and step.session in not_replayed:
            outcome.status, outcome.detail = NOT_REPLAYED, not_replayed[step.session]
            on_event("done", outcome)
            continue
        outcome.started = time.monotonic() - t0
        on_event("start", outcome)
        try:
            outcome.detail = action()
            outcome.status = PASSED
        except Exception as exc:  # noqa: BLE001 - any failure of a step ends the rehearsal
            outcome.status, outcome.detail = FAILED, f"{type(exc).__name__}: {exc}"
            failure = outcome
        outcome.seconds = time.monotonic() - t0 - outcome.started
        on_event("done", outcome)
    if failure is not None:
        raise RehearsalFailed(failure, outcomes)
    return outcomes
