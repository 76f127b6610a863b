"""The e2e benchmark: ``python -m atelier.e2e`` (the laptop run) timed step by step.

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

from atelier.bench.report import fmt, header, machine, table, write_section
from atelier.bench.targets import free_port
from atelier.config import REPO_ROOT

JUNIT = REPO_ROOT / "reports" / "e2e" / "junit.xml"
TARGET_S = 90.0


@dataclass
class Step:
    name: str
    seconds: float
    ok: bool


def read_junit(path: Path) -> list[Step]:
    suite = ET.parse(path).getroot()  # noqa: S314 (our own report, just written)
    return [
        Step(
            case.get("name", "?"),
            float(case.get("time", "0")),
            case.find("failure") is None and case.find("error") is None,
        )
        for case in suite.iter("testcase")
    ]


def run_e2e(argv: list[str]) -> tuple[int, float, list[Step]]:
    """Exit code, wall seconds of the whole command, and its steps."""
    home = Path(tempfile.mkdtemp(prefix="atelier-bench-e2e-"))
    env = {**os.environ, "ATELIER_HOME": str(home), "ATELIER_PORT": str(free_port())}
    started_at, started = time.time(), time.perf_counter()
    try:
        code = subprocess.call([sys.executable, "-m", "atelier.e2e", *argv], env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    wall = time.perf_counter() - started
    if not JUNIT.exists() or JUNIT.stat().st_mtime < started_at:
        raise RuntimeError(f"the e2e wrote no {JUNIT.relative_to(REPO_ROOT)} (exit code {code})")
    return code, wall, read_junit(JUNIT)


def lines_for(code: int, wall: float, steps: list[Step], machine_line: str) -> list[str]:
    total = sum(s.seconds for s in steps)
    share = [f"{100 * s.seconds / total:.0f} %" if total else "—" for s in steps]
    body = [
        (s.name, fmt(s.seconds), pct, "✓" if s.ok else "✗ failed")
        for s, pct in zip(steps, share, strict=True)
    ]
    passed = code == 0 and all(s.ok for s in steps)
    met = passed and total <= TARGET_S
    body.append(
        ("**total of the steps**", f"**{fmt(total)}**", "100 %", "✓" if passed else "✗ failed")
    )
    body.append(("whole command (interpreter start, report writing)", fmt(wall), "", ""))
    top = sorted(steps, key=lambda s: s.seconds, reverse=True)[:3]
    dominant = ", ".join(f"{s.name} {fmt(s.seconds)}" for s in top)
    verdict = "met" if met else ("not met" if passed else "not measured: the run failed")
    intro = (
        "The laptop run (`python -m atelier.e2e`, what `nox -s e2e` runs after installing) in a "
        "new process, with its own runtime on a free port and a fresh temporary `ATELIER_HOME`; "
        "each step's time comes from `reports/e2e/junit.xml`."
    )
    return [
        *header("e2e", "e2e", machine_line, intro),
        *table(("step", "time", "share", "result"), body),
        f"Target: ≤ {TARGET_S:.0f} s in total after installation on a 2-core machine: "
        f"**{verdict}** ({fmt(total)}). Longest steps: {dominant}.  ",
        "Plain MiniStack and moto server cannot run the e2e at all (no ECS task or service "
        "processes and no database without Docker), so there is no column for them.",
        "",
    ]


def main(argv: list[str], write: bool = True) -> int:
    machine_line = machine()  # before the run: the load average it started under
    code, wall, steps = run_e2e(argv)
    print(write_section("e2e", lines_for(code, wall, steps, machine_line), write=write))
    return code
