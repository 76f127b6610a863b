"""What the e2e report's Operations section shows: alarm states, the canary's runs, the last
drift report (read from any endpoint with boto3)."""

from __future__ import annotations

import html
from typing import Any

from atelier.monitor.cli import alarm_rows, canary_runs


def collect(clients: Any, artifacts_bucket: str | None) -> dict[str, Any]:
    cw = clients("cloudwatch")
    doc: dict[str, Any] = {"alarms": alarm_rows(cw), "canary": canary_runs(cw, minutes=30)}
    doc["drift"] = None
    if artifacts_bucket:
        got = clients("s3").list_objects_v2(Bucket=artifacts_bucket, Prefix="drift/")
        keys = sorted(o["Key"] for o in got.get("Contents", []) if o["Key"].endswith("index.html"))
        doc["drift"] = f"s3://{artifacts_bucket}/{keys[-1]}" if keys else None
    return doc


def html_section(
    doc: dict[str, Any], drift_summary: dict[str, Any] | None = None, drift_href: str = ""
) -> str:
    """The Operations section; with ``drift_summary``, the drift check run during this report's
    run, linked (``drift_href``, relative: the report is a file beside this one) and embedded."""
    rows = "".join(
        f"<tr><td>{html.escape(a['name'])}</td><td>{a['state']}</td>"
        f"<td>{html.escape(a['metric'])}</td><td>{html.escape(a['reason'][:160])}</td></tr>"
        for a in doc.get("alarms", [])
    )
    runs = doc.get("canary") or []
    marks = "".join("✓" if ok >= 1 else "✗" for _, ok in runs) or "no run yet"
    drift = html.escape(doc["drift"]) if doc.get("drift") else "no drift report yet"
    this_run = ""
    if drift_summary is not None:
        href = html.escape(drift_href, quote=True)
        drifted = ", ".join(drift_summary.get("drifted") or []) or "none"
        this_run = (
            f"<p>Drift check of this run: share {float(drift_summary['share']):.2f} over "
            f"{int(drift_summary['current_rows'])} predictions, drifted: {html.escape(drifted)} "
            f'(<a href="{href}">full report</a>)</p>'
            f'<iframe src="{href}" title="drift report" style="width:100%;height:640px;'
            'border:1px solid #ccc"></iframe>'
        )
    return (
        "<h2>Operations</h2>"
        f"<p>Model check, one mark per minute (oldest first): {marks}</p>"
        f"<p>Last drift report: {drift}</p>"
        f"{this_run}"
        "<table><tr><th>alarm</th><th>state</th><th>metric</th><th>reason</th></tr>"
        f"{rows or '<tr><td colspan=4>no alarm</td></tr>'}</table>"
    )
