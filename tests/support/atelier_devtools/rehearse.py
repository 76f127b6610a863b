"""``nox -s rehearse_terraform``: a fresh runtime, the three roots applied and planned as three
accounts (:mod:`atelier.deploy.rehearse`), a rich table and ``reports/rehearse_terraform/*.json``."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from atelier.config import REPO_ROOT
from atelier.deploy.rehearse import ACCOUNTS, STAGES, build_bundles, rehearse_stage, write_report
from atelier_devtools.runtime import start_runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="qa, preprod and prod on one runtime")
    parser.add_argument("stages", nargs="*", default=list(STAGES), metavar="STAGE",
                        help=f"any of {', '.join(STAGES)} (default: all)")  # fmt: skip
    parser.add_argument("--work", type=Path, default=REPO_ROOT / ".atelier" / "rehearse")
    parser.add_argument(
        "--reports", type=Path, default=REPO_ROOT / "reports" / "rehearse_terraform"
    )
    args = parser.parse_args(argv)
    unknown = [s for s in args.stages if s not in STAGES]
    if unknown:
        parser.error(f"unknown stage {', '.join(unknown)}: choose among {', '.join(STAGES)}")
    console = Console(highlight=False)
    args.work.mkdir(parents=True, exist_ok=True)
    for old in args.work.iterdir():  # from scratch: fresh copies, state and runtime
        if old.name != "dist":  # (the bundles are rebuilt; the third-party layer is kept)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    started = time.monotonic()
    console.print("[dim]building the bundles (third-party layer included)[/]")
    bundles = args.work / "dist"
    build_bundles(REPO_ROOT, bundles)
    runtime = start_runtime(args.work / "runtime")
    console.print(f"[dim]runtime on {runtime.endpoint_url}[/]")
    reports = []
    try:
        for stage in args.stages:
            with console.status(f"{stage}: rehearsing as account {ACCOUNTS[stage]}") as status:
                report = rehearse_stage(REPO_ROOT, args.work, runtime.endpoint_url, stage, bundles,
                                        say=lambda text: status.update(text))  # fmt: skip
            reports.append(report)
            mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
            console.print(f"{mark} {stage}: apply {report.apply_s:.1f} s, plan {report.plan_s:.1f} s"
                          + (f" — {report.error}" if report.error else ""))  # fmt: skip
    finally:
        runtime.stop()
    table = Table(title="terraform rehearsal: one runtime, three accounts")
    for column in ("stage", "account", "resources", "apply (s)", "plan (s)", "plan exit", "result"):
        table.add_column(column)
    for r in reports:
        failed = [e.split("\n", 1)[0].split(": ", 1)[0] for e in r.errors]
        result = "ok" if r.ok else (
            f"{len(failed)} failed: {', '.join(failed)}" if failed
            else f"{len(r.changes_left)} changes left")  # fmt: skip
        table.add_row(r.stage, r.account, str(r.resources), f"{r.apply_s:.1f}", f"{r.plan_s:.1f}",
                      str(r.plan_exit), result)  # fmt: skip
    console.print(table)
    for r in reports:
        for change in r.changes_left:
            console.print(f"  {r.stage}: plan would {change}")
        for error in r.errors:
            console.print(f"  {r.stage}: {error.splitlines()[0][:300]}", markup=False)
    path = write_report(reports, args.reports,
                        {"seconds": round(time.monotonic() - started, 1)})  # fmt: skip
    console.print(f"[dim]report: {path}[/]")
    return 0 if reports and all(r.ok for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
