"""``atelier alerts``: alarm states, the alerts received (the local mailbox), silencing.

Reads any endpoint (the runtime by default, ``AWS_ENDPOINT_URL`` decides): DescribeAlarms,
DescribeAlarmHistory, the canary's ``Atelier/Canary`` metrics; the mailbox is the runtime's
``<ATELIER_HOME>/mailbox/mail.jsonl`` (e-mail subscriptions of SNS topics).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from atelier.cli_settings import current_settings
from atelier.config import Settings

STATE_STYLE = {"ALARM": "bold red", "OK": "green", "INSUFFICIENT_DATA": "yellow"}


def _client(s: Settings, service: str) -> Any:
    from atelier.deploy.clients import Clients

    return Clients(s.endpoint_url, s.region)(service)


def mailbox(home: Path) -> list[dict[str, Any]]:
    path = home / "mailbox" / "mail.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alarm_rows(cw: Any) -> list[dict[str, Any]]:
    rows = []
    for page in cw.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        for a in page["MetricAlarms"]:
            rows.append(
                {
                    "name": a["AlarmName"],
                    "state": a["StateValue"],
                    "metric": f"{a.get('Namespace')}/{a.get('MetricName')}",
                    "actions": a.get("ActionsEnabled", True),
                    "since": str(a.get("StateUpdatedTimestamp", "")),
                    "reason": a.get("StateReason", ""),
                }
            )
    return rows


def canary_runs(cw: Any, minutes: int = 15) -> list[tuple[float, float]]:
    """(minute, Success) of the canary's last runs, oldest first."""
    now = time.time()
    got = cw.get_metric_statistics(
        Namespace="Atelier/Canary",
        MetricName="Success",
        StartTime=now - minutes * 60,
        EndTime=now + 60,
        Period=60,
        Statistics=["Minimum"],
    )
    return sorted((d["Timestamp"].timestamp(), d["Minimum"]) for d in got["Datapoints"])


@click.command()
@click.option("--mail", "mail_count", type=int, default=5, show_default=True, help="alerts to show")
@click.option("--silence", metavar="ALARM", multiple=True, help="stop an alarm's notifications")
@click.option("--unsilence", metavar="ALARM", multiple=True, help="resume its notifications")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of tables")
def alerts(
    mail_count: int, silence: tuple[str, ...], unsilence: tuple[str, ...], as_json: bool
) -> None:
    """Alarm states, the canary's last runs and the alerts received; silence or resume an alarm."""
    settings = current_settings()
    cw = _client(settings, "cloudwatch")
    if silence:
        cw.disable_alarm_actions(AlarmNames=list(silence))
    if unsilence:
        cw.enable_alarm_actions(AlarmNames=list(unsilence))
    rows, mails, runs = alarm_rows(cw), mailbox(settings.home)[-mail_count:], canary_runs(cw)
    if as_json:
        click.echo(json.dumps({"alarms": rows, "mail": mails, "canary": runs}, indent=2))
        return
    console = Console()
    table = Table(title="Alarms")
    for col in ("alarm", "state", "metric", "notifies", "reason"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["name"],
            f"[{STATE_STYLE.get(r['state'], '')}]{r['state']}[/]",
            r["metric"],
            "yes" if r["actions"] else "[yellow]silenced[/]",
            r["reason"][:120],
        )
    console.print(table)
    if runs:
        marks = "".join("[green]✓[/]" if ok >= 1 else "[red]✗[/]" for _, ok in runs)
        console.print(f"Canary, last {len(runs)} minutes (oldest first): {marks}")
    else:
        console.print("Canary: no run in the last 15 minutes")
    console.print(f"Last {len(mails)} alert(s) in the mailbox:")
    for m in mails:
        when = time.strftime("%H:%M:%S", time.gmtime(m["time"]))
        console.print(f"  {when} UTC to {m['to']}: {m['subject']}")
