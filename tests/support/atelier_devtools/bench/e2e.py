"""The e2e benchmark: ``python -m atelier_devtools.e2e`` (the laptop run) timed step by step.

It runs the e2e as a user does, in a new process, with its own runtime on a free port and a
fresh temporary ``ATELIER_HOME`` (so it never meets a runtime or a home already in use), then
reads each step's time from ``reports/e2e/junit.xml`` and writes the "e2e" section of
``docs/benchmarks.md``. Plain MiniStack and moto server cannot run it (no ECS processes, no
database without Docker), so the section has no columns for them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from atelier_devtools.bench.report import fmt, header, machine, table, write_section
from atelier_devtools.bench.targets import free_port
from atelier_devtools.paths import REPO_ROOT

JUNIT = REPO_ROOT / "reports" / "e2e" / "junit.xml"
TARGET_S = 90.0


@dataclass
class Step:
    name: str
    seconds: float
    ok: bool
    concurrent: bool = False


@dataclass
class Run:
    code: int
    wall: float  # the whole command
    suite: float  # first step start to last step end (overlapping steps counted once)
    steps: list[Step]

    @property
    def passed(self) -> bool:
        return self.code == 0 and all(s.ok for s in self.steps)


def read_junit(path: Path) -> tuple[float, list[Step]]:
    suite = ET.parse(path).getroot()
    steps = [
        Step(
            case.get("name", "?"),
            float(case.get("time", "0")),
            case.find("failure") is None and case.find("error") is None,
            any(p.get("name") == "concurrent_with" for p in case.iter("property")),
        )
        for case in suite.iter("testcase")
    ]
    return float(suite.get("time", "0")), steps


# A first run on a fresh machine trains the models and builds the frontend; a repeat reuses the
# model cache (same code, data and parameters) and the unchanged frontend build.
COLD_ENV = {"ATELIER_MODEL_CACHE": "off", "ATELIER_E2E_FRESH_FRONTEND": "1"}


def run_e2e(argv: list[str], extra_env: dict[str, str]) -> Run:
    home = Path(tempfile.mkdtemp(prefix="atelier-bench-e2e-"))
    home.chmod(0o755)  # as root, PostgreSQL's unprivileged user must reach its data in it
    env = {**os.environ, **extra_env, "ATELIER_HOME": str(home), "ATELIER_PORT": str(free_port())}
    started_at, started = time.time(), time.perf_counter()
    try:
        code = subprocess.call([sys.executable, "-m", "atelier_devtools.e2e", *argv], env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    wall = time.perf_counter() - started
    if not JUNIT.exists() or JUNIT.stat().st_mtime < started_at:
        raise RuntimeError(f"the e2e wrote no {JUNIT.relative_to(REPO_ROOT)} (exit code {code})")
    suite, steps = read_junit(JUNIT)
    return Run(code, wall, suite, steps)


def _cell(step: Step | None) -> str:
    if step is None:
        return "—"
    mark = "" if step.ok else " ✗"
    return f"{fmt(step.seconds)}{' ∥' if step.concurrent else ''}{mark}"


def lines_for(cold: Run, warm: Run, machine_line: str) -> list[str]:
    names = [s.name for s in cold.steps] + [
        s.name for s in warm.steps if s.name not in {c.name for c in cold.steps}
    ]
    by_name = [{s.name: s for s in run.steps} for run in (cold, warm)]
    body = [(name, _cell(by_name[0].get(name)), _cell(by_name[1].get(name))) for name in names]
    body.append(
        (
            "**all steps, wall clock** (overlapping steps once)",
            f"**{fmt(cold.suite)}**",
            f"**{fmt(warm.suite)}**",
        )
    )
    body.append(
        ("whole command (interpreter start, report writing)", fmt(cold.wall), fmt(warm.wall))
    )

    def verdict(run: Run) -> str:
        if not run.passed:
            return "not measured: the run failed"
        return "met" if run.suite <= TARGET_S else "not met"

    intro = (
        "The laptop run (`python -m atelier_devtools.e2e`, what `nox -s e2e` runs after installing) twice in "
        "new processes, each with its own runtime on a free port and a fresh temporary "
        "`ATELIER_HOME`: first as on a fresh machine (models trained, `npm ci` and the frontend "
        "build run: `ATELIER_MODEL_CACHE=off ATELIER_E2E_FRESH_FRONTEND=1`), then again with the "
        "model cache and the frontend build reused. Step times come from `reports/e2e/junit.xml`; "
        "∥ marks steps that ran concurrently (the API image job, the API active-learning job and "
        "the browser test)."
    )
    return [
        *header("e2e", "e2e", machine_line, intro),
        *table(("step", "fresh machine", "repeat (caches warm)"), body),
        f"Target: ≤ {TARGET_S:.0f} s in total after installation on a 2-core machine: fresh "
        f"machine **{verdict(cold)}** ({fmt(cold.suite)}), repeat **{verdict(warm)}** "
        f"({fmt(warm.suite)}).  ",
        "Plain MiniStack and moto server cannot run the e2e at all (no ECS task or service "
        "processes and no database without Docker), so there is no column for them.",
        "",
    ]


def main(argv: list[str], write: bool = True) -> int:
    machine_line = machine()  # before the run: the load average it started under
    cold = run_e2e(argv, COLD_ENV)
    warm = run_e2e(argv, {})
    print(write_section("e2e", lines_for(cold, warm, machine_line), write=write))
    return cold.code or warm.code
