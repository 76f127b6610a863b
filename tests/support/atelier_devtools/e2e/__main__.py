"""Entry point of `nox -s e2e`: run every step, write reports/e2e/, stop the runtime always."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from atelier.config import REPO_ROOT, Settings
from atelier_devtools.e2e.flow import Flow
from atelier_devtools.e2e.report import wall_seconds, write_html, write_junit
from atelier_devtools.e2e.steps import Run

Step = Callable[[], str]


def main(argv: list[str]) -> int:
    out_dir = Path(os.environ.get("ATELIER_E2E_REPORTS", REPO_ROOT / "reports" / "e2e"))
    (out_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    home = Path(os.environ.get("ATELIER_HOME", REPO_ROOT / ".atelier" / "e2e"))
    settings = Settings(home=home)
    run = Run()
    engine = argv[argv.index("--engine") + 1] if "--engine" in argv[:-1] else "python"
    if engine not in ("python", "terraform"):
        run.console.print(f"[red]--engine {engine}: use python or terraform[/]")
        return 2
    flow = Flow(settings, run, out_dir, engine)
    skip_browser = "--no-browser" in argv
    # The two jobs through the API and the browser test (which logs in on its own and runs the
    # three pipelines again) need only the deployed, seeded runtime, not each other: they run
    # at the same time, each timed on its own and marked as concurrent in the report.
    jobs: list[tuple[str, Step]] = [
        ("image pipeline job", flow.images),
        ("active-learning job (GPU task, CPU fallback)", flow.active_learning),
    ]
    if not skip_browser:
        jobs.append(("browser test (Chromium)", flow.browser))
    steps: list[tuple[str, Step] | list[tuple[str, Step]]] = [
        ("start runtime", flow.start_runtime),
        ("build frontend", flow.build_frontend),
        ("deploy", flow.deploy),
        ("seed", flow.seed),
        ("log in through /auth", flow.login),
        ("structured_data prediction", flow.structured),
        ("digits CNN golden cases on the runtime", flow.digits_golden),
        jobs,
        ("drift check (the hourly rule's task, run now)", flow.drift),
    ]
    # A failing step is recorded (with its logs) by the runner; the runtime is stopped anyway.
    try:
        with contextlib.suppress(Exception):
            for item in steps:
                if isinstance(item, list):
                    run.concurrently(item)
                else:
                    run.step(*item)
    finally:
        operations = ""
        with contextlib.suppress(Exception):
            operations = flow.operations_section()
        with contextlib.suppress(Exception):
            run.step("stop runtime", flow.stop_runtime)
        write_junit(run.results, out_dir / "junit.xml")
        index = write_html(run.results, out_dir, operations)
        run.console.print(f"report: {index} ({wall_seconds(run.results):.1f} s wall clock)")
    failed = run.failed
    if failed is not None:
        run.console.print(f"[red]e2e failed at step '{failed.name}'[/]")
        if failed.logs:
            run.console.rule("logs")
            run.console.print(failed.logs, markup=False, highlight=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
