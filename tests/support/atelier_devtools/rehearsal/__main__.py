"""``nox -s rehearse``: the branch flow of .github/workflows on one fresh runtime, three accounts.

``python -m atelier_devtools.rehearsal [--work DIR] [--reports DIR] [--list]``: ``--list``
prints the steps read from the workflows and runs nothing. Writes
``reports/rehearsal/summary.json`` and ``reports/rehearsal/index.html``; exits 1 naming the
step that failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.rehearsal import engine, flow, report, runners
from atelier_devtools.runtime import start_runtime


def actions(ctx: runners.Context, steps: list[flow.Step]) -> list[
    tuple[flow.Step | None, str, Callable[[], str]]
]:  # fmt: skip
    """The workflow steps, each account's bootstrap before its phase, the prod smoke check last."""
    out: list[tuple[flow.Step | None, str, Callable[[], str]]] = []
    for phase in flow.PHASES:
        out.append((None, f"{phase.name} · bootstrap", partial(runners.bootstrap, ctx, phase.name)))
        for step in (s for s in steps if s.phase == phase.name):
            runner = runners.RUNNERS.get(step.session)
            action = partial(runner, ctx, step) if runner else (lambda: "")
            out.append((step, step.name, action))
    out.append((None, "prod · smoke", partial(runners.smoke, ctx)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="qa → preprod → prod, as the workflows run it")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / ".atelier" / "rehearsal")
    parser.add_argument("--reports", type=Path, default=REPO_ROOT / "reports" / "rehearsal")
    parser.add_argument("--list", action="store_true", help="print the steps, run nothing")
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    steps = flow.plan(REPO_ROOT)
    problems = flow.check_sync(steps, set(runners.RUNNERS), runners.NOT_REPLAYED,
                               flow.nox_sessions(REPO_ROOT))  # fmt: skip
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}")
        return 1
    if args.list:
        for i, step in enumerate(steps, 1):
            console.print(f"{i:2d}. {step.name:40s} {step.workflow} / {step.job}: {step.command}")
        return 0
    for old in args.work.iterdir() if args.work.is_dir() else []:
        if old.name not in ("build", "home"):  # from scratch, but keep the pip/bundle caches
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    args.work.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    started = time.monotonic()
    port = int(os.environ["ATELIER_PORT"]) if os.environ.get("ATELIER_PORT") else None
    runtime = start_runtime(args.work / "runtime", port=port)
    console.print(f"[dim]runtime on {runtime.endpoint_url}; commit {commit[:12]}[/]")
    ctx = runners.Context(REPO_ROOT, args.work, runtime.endpoint_url, commit)
    todo = actions(ctx, steps)
    outcomes: list[engine.Outcome] = []
    failed: engine.RehearsalFailed | None = None
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())  # fmt: skip
    try:
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("rehearsal", total=len(todo))

            def on_event(kind: str, outcome: engine.Outcome) -> None:
                if kind == "start":
                    progress.update(
                        bar, description=f"{outcome.name} [{ctx.accounts.get(outcome.phase, '')}]"
                    )
                    return
                mark = {"passed": "[green]✓[/]", "failed": "[red]✗[/]"}.get(
                    outcome.status, "[dim]-[/]"
                )
                progress.console.print(f"{mark} {outcome.name} ({outcome.seconds:.1f} s) {outcome.detail}",
                                       markup=True)  # fmt: skip
                progress.advance(bar)

            try:
                outcomes = engine.run(todo, runners.NOT_REPLAYED, on_event)
            except engine.RehearsalFailed as exc:
                failed = exc
    finally:
        runtime.stop()
    if failed is not None:
        outcomes = failed.outcomes
    meta = {"commit": commit, "seconds": round(time.monotonic() - started, 1),
            "runtime_overrides": runners.RUNTIME_OVERRIDES}  # fmt: skip
    data = report.summary(outcomes, ctx.accounts, ctx.state, meta)
    index = report.write(args.reports, data, outcomes)
    console.print(f"[dim]report: {index}[/]")
    if failed is not None:
        console.print(f"[red]rehearsal failed:[/] {failed}", markup=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
