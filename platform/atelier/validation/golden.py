"""Golden-model checks of the PR gate: the pytest tests marked ``golden`` (fixed seeds,
metric thresholds, golden predictions), run in a subprocess and read back from JUnit XML."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass
class GoldenResult:
    test: str
    success: bool
    message: str = ""


def run_golden(repo_root: Path, report_dir: Path) -> list[GoldenResult]:
    report_dir.mkdir(parents=True, exist_ok=True)
    junit = report_dir / "golden-junit.xml"
    junit.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "golden",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        "tests/unit",
    ]
    proc = subprocess.run(cmd, cwd=repo_root, capture_output=True, text=True, check=False)
    if not junit.exists():
        tail = (proc.stdout + proc.stderr)[-2000:]
        return [GoldenResult("golden-model tests", False, f"pytest did not run: {tail}")]
    results = parse_junit(junit)
    if not results:
        return [GoldenResult("golden-model tests", False, "no test is marked 'golden'")]
    return results


def parse_junit(path: Path) -> list[GoldenResult]:
    results = []
    # Our own pytest run wrote this file a moment ago: trusted input.
    for case in ET.parse(path).getroot().iter("testcase"):  # noqa: S314
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if case.find("skipped") is not None:
            skipped = case.find("skipped")
            reason = skipped.get("message", "") if skipped is not None else ""
            results.append(GoldenResult(name, False, f"skipped: {reason}"))
        elif problem is not None:
            results.append(GoldenResult(name, False, problem.get("message", "")[:300]))
        else:
            results.append(GoldenResult(name, True))
    return results
