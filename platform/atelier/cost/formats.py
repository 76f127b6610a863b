"""An estimate as a rich table, JSON, Markdown or an offline HTML page with an inline SVG chart."""

from __future__ import annotations

import html
import json
from typing import Any

from atelier.cost.estimate import Estimate
from atelier.cost.prices import PriceTable
from atelier.cost.usage import by

FORMATS = ("table", "json", "markdown", "html")


def to_dict(est: Estimate, prices: PriceTable) -> dict[str, Any]:
    return {
        "env": est.env,
        "region": est.region,
        "currency": prices.currency,
        "prices_as_of": prices.as_of.isoformat(),
        "monthly_total_usd": round(est.total, 2),
        "by_service": {k: round(v, 2) for k, v in by(est.lines, "service").items()},
        "by_pipeline": {k: round(v, 2) for k, v in by(est.lines, "pipeline").items()},
        "lines": [
            {
                "service": line.service,
                "pipeline": line.pipeline,
                "item": line.item,
                "quantity": round(line.amount, 4),
                "unit": line.unit,
                "unit_price": line.unit_price,
                "price": line.price_path,
                "usd": round(line.usd, 4),
                "formula": line.formula,
                "assumptions": line.assumptions,
            }
            for line in est.lines
        ],
        "assumptions": est.assumptions,
    }


def to_json(est: Estimate, prices: PriceTable) -> str:
    return json.dumps(to_dict(est, prices), indent=2)


def _md_table(rows: list[list[str]], header: list[str]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def to_markdown(est: Estimate, prices: PriceTable) -> str:
    total = est.total
    services = [
        [k, f"{v:,.2f}", f"{v / total:.0%}" if total else "-"]
        for k, v in by(est.lines, "service").items()
    ]
    pipelines = [[k, f"{v:,.2f}"] for k, v in by(est.lines, "pipeline").items()]
    lines = [
        [
            ln.service,
            ln.pipeline,
            f"{ln.amount:,.2f} {ln.unit}",
            f"{ln.usd:,.2f}",
            ln.formula.replace("|", "/"),
            ln.assumptions,
        ]
        for ln in sorted(est.lines, key=lambda x: -x.usd)
    ]
    return "\n\n".join(
        [
            f"### `{est.env}` ({est.region}): {total:,.2f} USD a month",
            f"Prices as of {prices.as_of} (on-demand list prices).",
            _md_table(
                [*services, ["**total**", f"**{total:,.2f}**", ""]],
                ["service", "USD/month", "share"],
            ),
            _md_table(pipelines, ["pipeline", "USD/month"]),
            "<details><summary>Every line with its formula</summary>\n\n"
            + _md_table(lines, ["service", "pipeline", "quantity", "USD", "formula", "assumptions"])
            + "\n\n</details>",
            "Assumptions: " + "; ".join(est.assumptions) + ".",
        ]
    )


def bar_chart_svg(values: dict[str, float], title: str, width: int = 640) -> str:
    """A horizontal bar chart as inline SVG (no script, no network)."""
    bar_h, label_w, pad = 22, 170, 8
    top = max(values.values(), default=0.0) or 1.0
    height = pad * 2 + 24 + bar_h * len(values)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="{pad}" y="18" font-family="sans-serif" font-size="14" font-weight="bold">'
        f"{html.escape(title)}</text>",
    ]
    span = width - label_w - 90
    for i, (name, value) in enumerate(values.items()):
        y = pad + 24 + i * bar_h
        w = max(1.0, value / top * span)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-family="sans-serif" '
            f'font-size="12">{html.escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="#3b6ea5"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-family="sans-serif" font-size="12">'
            f"{value:,.2f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(est: Estimate, prices: PriceTable) -> str:
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(c))}</td>"
            for c in (
                ln.service,
                ln.pipeline,
                f"{ln.amount:,.2f} {ln.unit}",
                f"{ln.unit_price:g}",
                f"{ln.usd:,.2f}",
                ln.formula,
                ln.assumptions,
            )
        )
        + "</tr>"
        for ln in sorted(est.lines, key=lambda x: -x.usd)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Atelier cost: {html.escape(est.env)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}</style></head><body>"
        f"<h1>{html.escape(est.env)} ({html.escape(est.region)}): {est.total:,.2f} USD a month</h1>"
        f"<p>Prices as of {prices.as_of}; on-demand list prices.</p>"
        + bar_chart_svg(by(est.lines, "service"), "USD a month by service")
        + bar_chart_svg(by(est.lines, "pipeline"), "USD a month by pipeline")
        + "<h2>Lines</h2><table><tr><th>service</th><th>pipeline</th><th>quantity</th>"
        "<th>unit price</th><th>USD</th><th>formula</th><th>assumptions</th></tr>"
        + rows
        + "</table><h2>Assumptions</h2><ul>"
        + "".join(f"<li>{html.escape(a)}</li>" for a in est.assumptions)
        + "</ul></body></html>"
    )


def print_rich(est: Estimate, prices: PriceTable) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    total = est.total
    svc = Table(title=f"{est.env} ({est.region}) — USD a month, prices as of {prices.as_of}")
    svc.add_column("service")
    svc.add_column("USD/month", justify="right")
    svc.add_column("share", justify="right")
    for name, usd in by(est.lines, "service").items():
        svc.add_row(name, f"{usd:,.2f}", f"{usd / total:.0%}" if total else "-")
    svc.add_row("[b]total[/b]", f"[b]{total:,.2f}[/b]", "")
    console.print(svc)
    pipe = Table(title="by pipeline")
    pipe.add_column("pipeline")
    pipe.add_column("USD/month", justify="right")
    for name, usd in by(est.lines, "pipeline").items():
        pipe.add_row(name, f"{usd:,.2f}")
    console.print(pipe)
    detail = Table(title="lines", show_lines=False)
    for col in ("service", "pipeline", "quantity", "USD", "formula", "assumptions"):
        detail.add_column(col, justify="right" if col == "USD" else "left")
    for ln in sorted(est.lines, key=lambda x: -x.usd):
        detail.add_row(
            ln.service,
            ln.pipeline,
            f"{ln.amount:,.2f} {ln.unit}",
            f"{ln.usd:,.2f}",
            ln.formula,
            ln.assumptions,
        )
    console.print(detail)
    for note in est.assumptions:
        console.print(f"• {note}")
