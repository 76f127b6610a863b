"""Markdown for docs/benchmarks.md: one ``## <Name>`` section per benchmark group.

Every group builds its text with :func:`header` (command, machine, date) and a table
(:func:`comparison_table` for "Atelier vs the alternatives", :func:`table` for anything else),
then :func:`write_section` replaces that group's own section in place. Hand-written notes under
it (``### `` subsections) are kept; a missing section is added at the end of the file.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from atelier_devtools.paths import REPO_ROOT

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


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


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


def header(name: str, group: str, machine_line: str, intro: str = "") -> list[str]:
    """``## name``, the command that reproduces it, the machine and the date."""
    lines = [
        f"## {name}",
        "",
        f"Command: `nox -s bench -- {group}` (or `python -m atelier_devtools.bench {group}`).  ",
        f"Machine: {machine_line}; python {platform.python_version()}; "
        f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.  ",
    ]
    if intro:
        lines.append(intro)
    return [*lines, ""]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell or "—" for cell in row) + " |" for row in rows]
    return [*lines, ""]


def comparison_table(rows: Sequence[Row], ratio_header: str = "Atelier vs MiniStack") -> list[str]:
    """Atelier, plain MiniStack and moto server side by side, with the target and a ratio."""
    headers = (
        "measure",
        "Atelier runtime",
        f"plain MiniStack {package_version('ministack')}",
        f"moto server {package_version('moto')}",
        "target",
        ratio_header,
    )
    cells = [
        (
            r.measure,
            fmt(r.atelier),
            fmt(r.ministack),
            fmt(r.moto),
            r.target,
            ratio(r.atelier, r.ministack),
        )
        for r in rows
    ]
    return table(headers, cells)


def replace_section(document: str, name: str, text: str) -> str:
    """``document`` with its ``## name`` section replaced by ``text`` (added when missing).

    A hand-written ``### `` subsection under the old section is kept after the new text;
    the sections before and after it are left as they were.
    """
    text = text.rstrip("\n") + "\n"
    pattern = re.compile(rf"^## {re.escape(name)}[ \t]*\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    match = pattern.search(document)
    if match is None:
        body = document.rstrip("\n") or "# Benchmarks"
        return body + "\n\n" + text
    notes = re.search(r"^### .*", match.group(0), re.DOTALL | re.MULTILINE)
    if notes:
        text += "\n" + notes.group(0).rstrip("\n") + "\n"
    rest = document[match.end() :].lstrip("\n")
    return document[: match.start()] + text + ("\n" + rest if rest else "")


def write_section(name: str, lines: Sequence[str], write: bool = True, doc: Path = DOC) -> str:
    """Replace the ``## name`` section of ``doc`` by ``lines``; return the section's text."""
    text = "\n".join(lines).rstrip("\n") + "\n"
    if write:
        current = doc.read_text() if doc.exists() else "# Benchmarks\n"
        doc.write_text(replace_section(current, name, text))
    return text
