"""A self-contained HTML drift report: a summary, one row per column, an inline SVG histogram
of reference vs current for each (no script, no external file: it opens offline)."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np

from structured_data.drift import DriftResult

W, H, BINS = 320, 110, 24


def histogram_svg(reference: np.ndarray, current: np.ndarray) -> str:
    lo = float(min(reference.min(), current.min()))
    hi = float(max(reference.max(), current.max()))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, BINS + 1)
    ref = np.histogram(reference, edges)[0] / max(len(reference), 1)
    cur = np.histogram(current, edges)[0] / max(len(current), 1)
    top = float(max(ref.max(), cur.max())) or 1.0
    bar = W / BINS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">']
    for series, color in ((ref, "#7a8ca5"), (cur, "#e07b39")):
        for i, v in enumerate(series):
            h = (H - 12) * float(v) / top
            parts.append(
                f'<rect x="{i * bar:.1f}" y="{H - 12 - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{color}" fill-opacity="0.55"/>'
            )
    parts.append(f'<text x="0" y="{H - 1}" font-size="9">{lo:.3g}</text>')
    parts.append(f'<text x="{W - 40}" y="{H - 1}" font-size="9">{hi:.3g}</text></svg>')
    return "".join(parts)


def render(
    result: DriftResult,
    reference: dict[str, np.ndarray],
    current: dict[str, np.ndarray],
    title: str = "Structured model: data drift",
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    verdict = "DRIFT" if result.dataset_drift else "no dataset drift"
    rows = []
    for c in sorted(result.columns, key=lambda c: (not c.drifted, c.column)):
        flag = '<b style="color:#b00">drift</b>' if c.drifted else "ok"
        svg = histogram_svg(
            np.asarray(reference[c.column], float), np.asarray(current[c.column], float)
        )
        rows.append(
            f"<tr><td>{html.escape(c.column)}</td><td>{c.kind}</td><td>{c.test}</td>"
            f"<td>{c.score:.4g}</td><td>{c.threshold:g}</td><td>{flag}</td><td>{svg}</td></tr>"
        )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border-bottom:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:middle}}table{{border-collapse:collapse}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{when}: {len(result.drifted)} of {len(result.columns)} columns drifted (share {result.share:.2f});
dataset verdict: <b>{verdict}</b>. Reference {result.reference_rows} rows (training split),
current {result.current_rows} rows. Grey: reference, orange: current.</p>
<table><tr><th>column</th><th>type</th><th>test</th><th>score</th><th>threshold</th><th>result</th>
<th>distributions</th></tr>{"".join(rows)}</table></body></html>"""
