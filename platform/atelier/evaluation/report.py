"""Run an evaluation and write reports/evaluation/<version>/: index.html and verdict.json."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from atelier.evaluation import plots
from atelier.evaluation.candidate import EvaluatedModel, Predictions, predict_timed
from atelier.evaluation.metrics import MetricComparison, compare, required_rows
from atelier.evaluation.verdict import MDE, PowerCheck, Verdict, breaking_changes, decide


def evaluate(
    baseline: EvaluatedModel,
    candidate: EvaluatedModel,
    x: NDArray[np.float64],
    y: NDArray[np.int64],
    out_dir: Path,
    *,
    model_name: str,
    env: str,
    tolerances: dict[str, float] | None = None,
    lineage: dict[str, str] | None = None,
) -> Verdict:
    out_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, Predictions] = {}
    breaking = breaking_changes(baseline, candidate)
    x_candidate = x if not breaking else _project(x, baseline.features, candidate.features)
    runs["baseline"] = predict_timed(baseline, x)
    runs["candidate"] = predict_timed(candidate, x_candidate)
    comparisons = compare(y, runs["baseline"].probabilities, runs["candidate"].probabilities)
    mde = MDE.get(model_name, 0.05)
    needed = required_rows(runs["baseline"].predicted == y, runs["candidate"].predicted == y, mde)
    power = PowerCheck(len(y), needed, mde)
    verdict = decide(baseline, candidate, comparisons, tolerances, power)
    figures = [
        plots.confusion(y, runs, out_dir),
        *plots.curves(y, runs, out_dir),
        plots.calibration(y, runs, out_dir),
        plots.per_class(y, runs, out_dir),
        plots.latency(runs, out_dir),
        plots.disagreement(y, runs, out_dir),
    ]
    document = {
        "model": model_name,
        "env": env,
        "candidate": candidate.version,
        "baseline": baseline.version,
        "decision": verdict.decision,
        "reasons": verdict.reasons,
        "breaking_changes": verdict.breaking_changes,
        "degraded_metrics": verdict.degraded_metrics,
        "metrics": [asdict(c) for c in comparisons],
        "latency_ms_p50": {r: float(np.median(p.latency_ms)) for r, p in runs.items()},
        "rows": len(y),
        "power": {
            "rows": len(y),
            "required": needed,
            "mde_accuracy": mde,
            "power": 0.8,
            "alpha": 0.05,
            "enough": power.enough,
        },
        "tests": "paired bootstrap (1000 resamples) per metric; one-sided p-values "
        "Holm-adjusted over the metrics; alpha 0.05",
        "lineage": lineage or {},
        "label_efficiency": _label_efficiency(
            {"baseline": baseline, "candidate": candidate}, comparisons
        ),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (out_dir / "verdict.json").write_text(json.dumps(document, indent=2))
    (out_dir / "index.html").write_text(
        _page(document, comparisons, figures, out_dir), encoding="utf-8"
    )
    return verdict


def _label_efficiency(
    models: dict[str, EvaluatedModel], comparisons: list[MetricComparison]
) -> dict[str, dict[str, float]]:
    """For models trained on a label budget (active learning): labels used, validation accuracy,
    and accuracy points per 100 labels, so a candidate is judged on what its labels bought."""
    accuracy = next(c for c in comparisons if c.name == "accuracy")
    out = {}
    for role, model in models.items():
        metrics = model.metadata.get("metrics")
        labels = metrics.get("labels") if isinstance(metrics, dict) else None
        if labels:
            acc = accuracy.baseline if role == "baseline" else accuracy.candidate
            out[role] = {
                "labels": float(labels),
                "validation_accuracy": acc,
                "accuracy_per_100_labels": 100 * acc / float(labels),
            }
    return out


def _project(x: NDArray[np.float64], have: list[str], want: list[str]) -> NDArray[np.float64]:
    """Feed a schema-changed candidate the columns it asks for (missing ones as zeros)."""
    columns = [x[:, have.index(f)] if f in have else np.zeros(len(x)) for f in want]
    return np.column_stack(columns) if columns else x


def _metric_rows(comparisons: list[MetricComparison]) -> str:
    rows = []
    for c in comparisons:
        better = c.delta > 0 if c.higher_is_better else c.delta < 0
        cls = "good" if better else ("bad" if c.delta != 0 else "")
        rows.append(
            f"<tr><td>{c.name}{'' if c.higher_is_better else ' (lower is better)'}</td>"
            f"<td>{c.baseline:.4f}</td><td>{c.candidate:.4f}</td>"
            f'<td class="{cls}">{c.delta:+.4f}</td><td>[{c.ci_low:+.4f}, {c.ci_high:+.4f}]</td>'
            f"<td>{c.p_worse:.4f}</td><td>{c.p_holm:.4f}</td></tr>"
        )
    return "".join(rows)


def _efficiency_html(doc: dict[str, object]) -> str:
    rows = doc.get("label_efficiency") or {}
    assert isinstance(rows, dict)
    if not rows:
        return ""
    cells = "".join(
        f"<tr><td>{html.escape(role)}</td><td>{r['labels']:.0f}</td>"
        f"<td>{r['validation_accuracy']:.4f}</td><td>{r['accuracy_per_100_labels']:.3f}</td></tr>"
        for role, r in rows.items()
    )
    return (
        "<h2>Label efficiency</h2><table><tr><th>model</th><th>labels</th>"
        f"<th>validation accuracy</th><th>accuracy per 100 labels</th></tr>{cells}</table>"
    )


def _b64(path: Path) -> str:
    import base64

    return base64.b64encode(path.read_bytes()).decode()


def _page(
    doc: dict[str, object], comparisons: list[MetricComparison], figures: list[str], out_dir: Path
) -> str:
    colour = {"promote": "#2a9d55", "block": "#d04a2f", "manual_review": "#d09a2f"}[
        str(doc["decision"])
    ]
    reasons = "".join(f"<li>{html.escape(str(r))}</li>" for r in doc["reasons"])  # type: ignore[attr-defined]
    images = "".join(
        f'<img src="data:image/png;base64,{_b64(out_dir / f)}" alt="{f.removesuffix(".png")}">'
        for f in figures
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Evaluation {html.escape(str(doc["model"]))} {html.escape(str(doc["candidate"]))}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
.verdict{{display:inline-block;padding:.3rem .8rem;color:#fff;background:{colour};border-radius:4px}}
table{{border-collapse:collapse}} td,th{{padding:.3rem .7rem;border-bottom:1px solid #ddd}}
.good{{color:#2a9d55}} .bad{{color:#d04a2f}} img{{max-width:48%;margin:.3rem;border:1px solid #eee}}</style>
</head><body>
<h1>{html.escape(str(doc["model"]))}: candidate {html.escape(str(doc["candidate"]))}
vs baseline {html.escape(str(doc["baseline"]))}</h1>
<p>environment <b>{html.escape(str(doc["env"]))}</b> · {doc["rows"]} validation rows · {doc["created_at"]}</p>
<p class="verdict">{html.escape(str(doc["decision"]))}</p><ul>{reasons}</ul>
<h2>Metrics (delta = candidate - baseline, 95% paired bootstrap CI)</h2>
<p>p = one-sided paired-bootstrap p-value that the candidate is worse; Holm = adjusted over the
metrics. Power: {html.escape(str(doc["power"]))}</p>
<table><tr><th>metric</th><th>baseline</th><th>candidate</th><th>delta</th><th>CI</th><th>p</th><th>Holm</th></tr>
{_metric_rows(comparisons)}</table>
{_efficiency_html(doc)}
<h2>Figures</h2>{images}
<p><a href="verdict.json">verdict.json</a></p></body></html>"""
