"""The Operations section of the e2e report: alarms, canary marks, drift report link."""

from __future__ import annotations

from pathlib import Path

from atelier.monitor.snapshot import html_section
from atelier_devtools.e2e.report import write_html


def test_section_lists_alarms_canary_and_drift(tmp_path: Path) -> None:
    doc = {
        "alarms": [
            {
                "name": "atelier-local-canary_failed",
                "state": "ALARM",
                "metric": "Atelier/Canary/Failures",
                "reason": "Threshold Crossed: 1 <x>",
            }
        ],
        "canary": [(1.0, 1.0), (2.0, 0.0)],
        "drift": "s3://atelier-local-artifacts/drift/2026-12-01T1100Z/index.html",
    }
    section = html_section(doc)
    assert "<h2>Operations</h2>" in section and "✓✗" in section
    assert "canary_failed" in section and "ALARM" in section and "&lt;x&gt;" in section
    assert "drift/2026-12-01T1100Z/index.html" in section
    page = write_html([], tmp_path, section).read_text()
    assert page.index("<h2>Operations</h2>") < page.index("<h2>Screenshots</h2>")


def test_empty_section_says_so() -> None:
    section = html_section({"alarms": [], "canary": [], "drift": None})
    assert "no run yet" in section and "no drift report yet" in section and "no alarm" in section


def test_the_drift_check_of_the_run_is_linked_and_embedded_offline() -> None:
    from atelier.monitor.snapshot import html_section

    summary = {"share": 0.25, "drifted": ["radius_mean", "<b>"], "current_rows": 40}
    page = html_section({"alarms": [], "canary": [], "drift": None}, summary, "drift/report.html")
    assert "share 0.25 over 40 predictions" in page and "&lt;b&gt;" in page
    assert page.count('"drift/report.html"') == 2  # the link and the embedded frame
    assert "http://" not in page and "https://" not in page  # a file beside the report
    assert "Drift check of this run" not in html_section({"alarms": [], "drift": None})
