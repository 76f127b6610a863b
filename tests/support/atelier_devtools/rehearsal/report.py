"""``reports/rehearsal/summary.json`` and ``index.html``: each step, its account, its time.

The page is self-contained (inline CSS and an inline SVG timeline, no script, no external URL),
so it opens offline and as a CI artifact.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from atelier_devtools.rehearsal.engine import Outcome

COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "not replayed": "#9e9e9e",
    "not run": "#e0e0e0",
}
PHASE_TINT = {"qa": "#e3f2fd", "preprod": "#fff8e1", "prod": "#fce4ec"}


def summary(outcomes: list[Outcome], accounts: Mapping[str, str], state: Mapping[str, Any],
            meta: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    failed = next((o for o in outcomes if o.status == "failed"), None)
    return {
        **meta,
        "ok": failed is None,
        "failed_step": failed.name if failed else None,
        "accounts": dict(accounts),
        "promoted_version": state.get("promoted_version"),
        "prod_serving_version": state.get("prod_serving_version"),
        "release_environment": state.get("environment"),
        "steps": [o.as_dict(accounts) for o in outcomes],
    }


def _timeline(outcomes: list[Outcome], accounts: Mapping[str, str]) -> str:
    ran = [o for o in outcomes if o.status in ("passed", "failed")]
    total = max((o.started + o.seconds for o in ran), default=1.0) or 1.0
    row, left, width = 22, 330, 620
    rows = []
    for i, o in enumerate(outcomes):
        y = 10 + i * row
        label = html.escape(f"{o.name}  [{accounts.get(o.phase, '-')}]")
        rows.append(f'<rect x="0" y="{y - 3}" width="{left + width + 80}" height="{row}" '
                    f'fill="{PHASE_TINT.get(o.phase, "#fff")}"/>'
                    f'<text x="4" y="{y + 12}" font-size="12">{label}</text>')  # fmt: skip
        x = left + width * o.started / total
        w = max(2.0, width * o.seconds / total) if o.status in ("passed", "failed") else 2.0
        rows.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" '
                    f'fill="{COLOURS[o.status]}"><title>{html.escape(o.status)} '
                    f'{o.seconds:.1f} s</title></rect>'
                    f'<text x="{x + w + 4:.1f}" y="{y + 12}" font-size="11">'
                    f'{o.seconds:.1f} s</text>')  # fmt: skip
    height = 20 + len(outcomes) * row
    axis = (f'<text x="{left}" y="{height + 4}" font-size="11">0 s</text>'
            f'<text x="{left + width - 30}" y="{height + 4}" font-size="11">{total:.0f} s</text>')  # fmt: skip
    return (f'<svg width="{left + width + 80}" '
            f'height="{height + 10}" role="img" aria-label="timeline of the rehearsal">'
            + "".join(rows) + axis + "</svg>")  # fmt: skip


def page(data: Mapping[str, Any], outcomes: list[Outcome]) -> str:
    accounts: Mapping[str, str] = data["accounts"]
    verdict = "passed" if data["ok"] else f"FAILED at {data['failed_step']}"
    rows = "".join(
        f"<tr class='{html.escape(s['status'].replace(' ', '-'))}'><td>{html.escape(s['name'])}</td>"
        f"<td>{html.escape(s['account'])}</td><td>{html.escape(s['workflow'])} / "
        f"{html.escape(s['job'])}</td><td>{html.escape(s['status'])}</td>"
        f"<td>{s['seconds']:.1f}</td><td>{html.escape(s['detail'])}</td></tr>"
        for s in data["steps"]
    )
    facts = "".join(f"<li>{html.escape(k)}: <code>{html.escape(str(v))}</code></li>" for k, v in (
        ("accounts", ", ".join(f"{e}={a}" for e, a in accounts.items())),
        ("promoted version", data.get("promoted_version")),
        ("prod serves", data.get("prod_serving_version")),
        ("release environment", data.get("release_environment")),
        ("commit", data.get("commit")), ("seconds", data.get("seconds")),
    ))  # fmt: skip
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Atelier release rehearsal</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }}
tr.failed td {{ background: #ffebee; }} tr.not-run td, tr.not-replayed td {{ color: #777; }}
</style></head><body>
<h1>Release rehearsal: {html.escape(verdict)}</h1>
<p>The branch flow of <code>.github/workflows</code> replayed on one runtime, qa, preprod and
prod as three accounts (each step's nox session, with the workflow's arguments).</p>
<ul>{facts}</ul>
<h2>Timeline</h2>
{_timeline(outcomes, accounts)}
<h2>Steps</h2>
<table><tr><th>step</th><th>account</th><th>workflow / job</th><th>status</th><th>s</th>
<th>detail</th></tr>{rows}</table>
</body></html>
"""


def write(out_dir: Path, data: Mapping[str, Any], outcomes: list[Outcome]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(data, indent=2) + "\n")
    index = out_dir / "index.html"
    index.write_text(page(data, outcomes))
    return index
