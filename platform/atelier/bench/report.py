"""Markdown for docs/benchmarks.md: one section per benchmark group, replaced in place."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from atelier.config import REPO_ROOT

DOC = REPO_ROOT / "docs" / "benchmarks.md"
Cell = float | str | None


@dataclass
class Row:
    measure: str
    atelier: Cell
    ministack: Cell
    moto: Cell
    target: str


def fmt(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def ratio(a: Cell, b: Cell) -> str:
    if isinstance(a, float) and isinstance(b, float) and a > 0:
        return f"{b / a:.1f}x faster" if b >= a else f"{a / b:.1f}x slower"
    return "—"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", info).group(1).strip()  # type: ignore[union-attr]
    except (OSError, AttributeError):
        pass
    ram = "?"
    try:
        kb = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError, ValueError):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {ram} RAM, {platform.system()} "
        f"{platform.release()}, load average {load} when the run started"
    )


def section(rows: list[Row], machine_line: str, python: str) -> str:
    lines = [
        "## Runtime",
        "",
        "Command: `nox -s bench -- runtime` (or `python -m atelier.bench runtime`).  ",
        f"Machine: {machine_line}; {python}; measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.  ",
        "Each emulator runs alone, started from scratch in a temporary directory; calls go "
        "through boto3 (API Gateway through a kept-alive HTTP connection).",
        "",
        "| measure | Atelier runtime | plain MiniStack 1.5.33 | moto server | target "
        "| Atelier vs MiniStack |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.measure} | {fmt(row.atelier)} | {fmt(row.ministack)} | "
            f"{fmt(row.moto)} | {row.target or '—'} | {ratio(row.atelier, row.ministack)} |"
        )
    lines.append("")
    return "\n".join(lines)


def write_section(rows: list[Row], machine_line: str, python: str, write: bool = True) -> str:
    text = section(rows, machine_line, python)
    if not write:
        return text
    current = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## Runtime\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    match = pattern.search(current)
    if match is None:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        # keep any hand-written notes after the table (a "### " subsection) in place
        notes = re.search(r"^### .*", match.group(0), re.DOTALL | re.MULTILINE)
        tail = ("\n" + notes.group(0).rstrip("\n") + "\n") if notes else ""
        updated = (
            current[: match.start()] + text + tail + "\n" + current[match.end() :].lstrip("\n")
        )
    DOC.write_text(updated.rstrip("\n") + "\n")
    return text
