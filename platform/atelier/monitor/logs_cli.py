"""``atelier logs query``: the saved Logs Insights queries (terraform/modules/monitoring/queries,
the same files Terraform saves as ``aws_cloudwatch_query_definition``), or any query, run with
StartQuery/GetQueryResults on the runtime (or on AWS with ``--endpoint-url`` unset there)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from atelier.cli_settings import current_settings

QUERIES = Path("terraform") / "modules" / "monitoring" / "queries"  # in the checkout
UNITS = {"m": 60, "h": 3600, "d": 86400}


def saved_queries(directory: Path) -> dict[str, str]:
    return {p.stem: p.read_text().strip() for p in sorted(directory.glob("*.logsinsights"))}


def run_query(logs: Any, groups: list[str], query: str, since_s: int) -> list[dict[str, str]]:
    now = int(time.time())
    qid = logs.start_query(
        logGroupNames=groups, startTime=now - since_s, endTime=now + 60, queryString=query
    )["queryId"]
    deadline = time.monotonic() + 60
    while True:
        got = logs.get_query_results(queryId=qid)
        if got["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
            break
        if time.monotonic() > deadline:
            raise click.ClickException(f"query {qid} still {got['status']} after 60 s")
        time.sleep(0.5)
    if got["status"] != "Complete":
        raise click.ClickException(f"query {got['status']}")
    return [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in got["results"]]


@click.group()
def logs() -> None:
    """CloudWatch Logs on the runtime: Logs Insights queries."""


@logs.command()
@click.argument("name_or_query", required=False)
@click.option("--group", "groups", multiple=True, help="log group (default: every atelier group)")
@click.option("--since", default="24h", show_default=True, help="how far back: 30m, 6h, 7d")
@click.option("--json", "as_json", is_flag=True, help="print JSON rows")
def query(name_or_query: str | None, groups: tuple[str, ...], since: str, as_json: bool) -> None:
    """Run a saved query by name (no argument: list them) or a query string."""
    s = current_settings()
    saved = saved_queries(s.repo_root / QUERIES)
    if not name_or_query:
        for name, text in saved.items():
            click.echo(f"{name}: {' '.join(text.split())}")
        return
    text = saved.get(name_or_query, name_or_query)
    if since[:-1].isdigit() and since[-1] in UNITS:
        since_s = int(since[:-1]) * UNITS[since[-1]]
    else:
        raise click.BadParameter(f"{since!r}: use a number and m, h or d", param_hint="--since")
    from botocore.exceptions import ClientError

    from atelier.deploy.clients import Clients

    client = Clients(s.endpoint_url, s.region)("logs")
    names = list(groups)
    if not names:
        pages = client.get_paginator("describe_log_groups").paginate()
        names = [g["logGroupName"] for p in pages for g in p["logGroups"]]
    if not names:
        raise click.ClickException("no log group to query")
    try:
        rows = run_query(client, names, text, since_s)
    except ClientError as exc:
        raise click.ClickException(exc.response["Error"].get("Message", str(exc))) from exc
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=name_or_query if name_or_query in saved else "query")
    columns = list(rows[0]) if rows else []
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(row.get(c, "") for c in columns))
    Console().print(table if rows else "no result")
