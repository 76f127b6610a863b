"""The e2e report: an HTML summary with each step's time, JUnit XML, screenshots and logs."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from atelier_devtools.e2e.steps import StepResult


def wall_seconds(results: list[StepResult]) -> float:
    """First start to last end: steps that ran concurrently are counted once."""
    if not results:
        return 0.0
    if all(r.ended == 0.0 for r in results):  # results built without timestamps
        return sum(r.seconds for r in results)
    return max(r.ended for r in results) - min(r.started for r in results)


def write_junit(results: list[StepResult], path: Path) -> None:
    failures = sum(not r.ok for r in results)
    # The suite's time is wall-clock time; the cases' times add up to more when some of them
    # ran concurrently (each case says so in a property).
    suite = ET.Element(
        "testsuite",
        name="atelier-e2e",
        tests=str(len(results)),
        failures=str(failures),
        time=f"{wall_seconds(results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname="e2e", name=r.name, time=f"{r.seconds:.3f}"
        )
        if r.concurrent_with:
            props = ET.SubElement(case, "properties")
            ET.SubElement(
                props, "property", name="concurrent_with", value="; ".join(r.concurrent_with)
            )
        if not r.ok:
            failure = ET.SubElement(
                case, "failure", message=r.error.splitlines()[0] if r.error else ""
            )
            failure.text = r.error
            if r.logs:
                ET.SubElement(case, "system-out").text = r.logs
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _bar(seconds: float, longest: float) -> str:
    width = 0 if longest <= 0 else max(1, int(300 * seconds / longest))
    return f'<span class="bar" style="width:{width}px"></span>'


def write_html(results: list[StepResult], out_dir: Path) -> Path:
    longest = max((r.seconds for r in results), default=0.0)
    total = sum(r.seconds for r in results)
    wall = wall_seconds(results)
    overlap = (
        f"{wall:.1f} s wall clock (the step times add up to {total:.1f} s: some steps ran "
        "concurrently, as their rows say)"
        if any(r.concurrent_with for r in results)
        else f"{total:.1f} s in all"
    )
    verdict = "PASSED" if results and all(r.ok for r in results) else "FAILED"
    rows = []
    for r in results:
        status = "✓" if r.ok else "✗"
        extra = ""
        if r.concurrent_with:
            extra = (
                f"<br><em>ran concurrently with {html.escape(', '.join(r.concurrent_with))}"
                f" (from {r.started:.1f} s to {r.ended:.1f} s of the run)</em>"
            )
        if not r.ok:
            extra += f"<pre>{html.escape(r.error)}</pre>"
            if r.logs:
                extra += f"<details open><summary>logs</summary><pre>{html.escape(r.logs)}</pre></details>"
        rows.append(
            f'<tr class="{"ok" if r.ok else "ko"}"><td>{status}</td><td>{html.escape(r.name)}</td>'
            f"<td>{r.seconds:.2f} s</td><td>{_bar(r.seconds, longest)}</td>"
            f"<td>{html.escape(r.detail)}{extra}</td></tr>"
        )
    shots = (
        sorted((out_dir / "screenshots").glob("*.png"))
        if (out_dir / "screenshots").exists()
        else []
    )
    gallery = "".join(
        f'<figure><img src="screenshots/{s.name}" alt="{html.escape(s.stem)}">'
        f"<figcaption>{html.escape(s.stem)}</figcaption></figure>"
        for s in shots
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Atelier e2e — {verdict}</title><style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}} table{{border-collapse:collapse}}
td{{padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}}
tr.ko td{{background:#fdecea}} .bar{{display:inline-block;height:10px;background:#4a7bd0}}
pre{{white-space:pre-wrap;max-width:70rem;font-size:.8rem}} figure{{display:inline-block;margin:.5rem}}
img{{max-width:420px;border:1px solid #ccc}}</style></head><body>
<h1>Atelier e2e: {verdict}</h1>
<p>{datetime.now(UTC):%Y-%m-%d %H:%M UTC} · {len(results)} steps · {overlap} ·
<a href="junit.xml">JUnit XML</a></p>
<table><tr><th></th><th>step</th><th>time</th><th></th><th>detail</th></tr>{"".join(rows)}</table>
<h2>Screenshots</h2>{gallery or "<p>none</p>"}</body></html>"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
