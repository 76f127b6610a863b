"""Entry point of `nox -s e2e`: run every step, write reports/e2e/, stop the runtime always."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from atelier.config import REPO_ROOT, Settings
from atelier.e2e.flow import Flow
from atelier.e2e.report import write_html, write_junit
from atelier.e2e.steps import Run


def main(argv: list[str]) -> int:
    out_dir = REPO_ROOT / "reports" / "e2e"
    (out_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    home = Path(os.environ.get("ATELIER_HOME", REPO_ROOT / ".atelier" / "e2e"))
    settings = Settings(home=home)
    run = Run()
    flow = Flow(settings, run, out_dir)
    skip_browser = "--no-browser" in argv
    steps = [
        ("start runtime", flow.start_runtime),
        ("build frontend", flow.build_frontend),
        ("deploy", flow.deploy),
        ("seed", flow.seed),
        ("log in through /auth", flow.login),
        ("structured_data prediction", flow.structured),
        ("image pipeline job", flow.images),
        ("active-learning job (GPU task, CPU fallback)", flow.active_learning),
    ]
    if not skip_browser:
        steps.append(("browser test (Chromium)", flow.browser))
    # A failing step is recorded (with its logs) by the runner; the runtime is stopped anyway.
    try:
        with contextlib.suppress(Exception):
            for name, fn in steps:
                run.step(name, fn)
    finally:
        with contextlib.suppress(Exception):
            run.step("stop runtime", flow.stop_runtime)
        write_junit(run.results, out_dir / "junit.xml")
        index = write_html(run.results, out_dir)
        run.console.print(f"report: {index}")
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
