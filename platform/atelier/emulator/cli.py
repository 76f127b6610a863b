"""``atelier emulator start|stop|status|logs``."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import click

from atelier.cli_settings import current_settings
from atelier.config import Settings
from atelier.emulator import launcher


def _settings(port: int | None, persist: bool | None = None) -> Settings:
    base = current_settings()
    updates: dict[str, Any] = {}
    if port:
        updates["port"] = port
    if persist:
        updates["persist"] = True
    return dataclasses.replace(base, **updates) if updates else base


@click.group()
def emulator() -> None:
    """The local AWS runtime: MiniStack plus Atelier's compute agent, on one port."""


@emulator.command()
@click.option(
    "--port", type=int, default=None, help="port to serve (default: ATELIER_PORT or 4566)"
)
@click.option("--persist", is_flag=True, default=False, help="keep all state across a restart")
@click.option("--foreground", is_flag=True, default=False, help="run in this terminal")
def start(port: int | None, persist: bool, foreground: bool) -> None:
    """Start the runtime (detached unless --foreground) and wait until it is healthy."""
    from atelier.emulator.server import main as server_main
    from atelier.emulator.server import port_taken

    settings = _settings(port, persist)
    if launcher.health(settings.endpoint_url, timeout=0.3) is not None:
        raise click.ClickException(
            f"a runtime already answers on {settings.endpoint_url}; "
            f"stop it with 'atelier emulator stop --port {settings.port}'"
        )
    if port_taken(settings.host, settings.port):
        raise click.ClickException(
            f"{settings.host}:{settings.port} is already in use by another program; "
            f"free it or use --port"
        )
    if foreground:
        args = ["--port", str(settings.port), "--host", settings.host, "--home", str(settings.home)]
        raise SystemExit(server_main([*args, "--persist"] if settings.persist else args))
    t0 = time.perf_counter()
    try:
        proc = launcher.start(settings)
    except launcher.RuntimeStartError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Atelier runtime ready on {proc.endpoint_url} in {time.perf_counter() - t0:.2f}s "
        f"(pid {proc.pid}, logs {proc.log_path})"
    )


@emulator.command()
@click.option("--port", type=int, default=None)
def stop(port: int | None) -> None:
    """Stop the runtime: its task processes and databases stop with it."""
    settings = _settings(port)
    if launcher.stop(settings):
        click.echo(f"stopped the runtime on {settings.endpoint_url}")
    else:
        click.echo(f"no runtime was running on {settings.endpoint_url}")


@emulator.command()
@click.option("--port", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, default=False, help="machine-readable output")
def status(port: int | None, as_json: bool) -> None:
    """What the runtime runs: tasks and their processes, services, databases, GPU."""
    settings = _settings(port)
    data = launcher.status(settings.endpoint_url)
    if data is None:
        if as_json:
            click.echo(json.dumps({"running": False, "endpoint_url": settings.endpoint_url}))
        raise click.ClickException(f"no runtime answers on {settings.endpoint_url}")
    if as_json:
        click.echo(json.dumps({"running": True, **data}, indent=2, default=str))
        return
    _print_status(data)


def _print_status(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    gpu = data.get("gpu") or {}
    console.print(
        f"[bold]Atelier runtime[/] {data['endpoint_url']}  home={data['home']}  "
        f"executor={data['executor']}  persist={data['persist']}  "
        f"gpu={gpu.get('name') or 'none'}  uptime={data['uptime_s']}s"
    )
    for item in (data.get("persistence") or {}).get("quarantined") or []:
        console.print(
            f"[bold red]state file {item['name']} could not be read[/] ({item['reason']}): "
            f"kept at {item['kept_at']}; that service started empty"
        )
    tasks = Table("task", "group", "image", "pid", "address", "device", title="ECS tasks")
    for t in data.get("tasks") or []:
        tasks.add_row(
            t["task_id"][:12],
            t["group"] or "-",
            t["image"],
            str(t["pid"]),
            t["ip"],
            t["device"] or "-",
        )
    console.print(tasks)
    services = Table("service", "desired", "running", "health", "targets", title="ECS services")
    for s in data.get("services") or []:
        targets = "; ".join(f"{tg}: {', '.join(ts) or '-'}" for tg, ts in s["targets"].items())
        health = s.get("health", "-")
        if health == "unhealthy":
            health = (
                f"[red]unhealthy[/] ({s['failures']} failures, next try in {s['next_start_in_s']}s)"
            )
        services.add_row(s["service"], str(s["desired"]), str(s["running"]), health, targets or "-")
    console.print(services)
    rds = Table("instance", "status", "endpoint", title="RDS instances")
    for r in data.get("rds") or []:
        rds.add_row(
            str(r.get("id") or r.get("db_instance_identifier")),
            str(r.get("status")),
            f"{r.get('host', '')}:{r.get('port', '')}",
        )
    console.print(rds)


@emulator.command()
@click.option("--port", type=int, default=None)
@click.option("--task", "task_id", default=None, help="a task id: that task's output instead")
@click.option("-n", "--lines", type=int, default=50)
@click.option("-f", "--follow", is_flag=True, default=False)
def logs(port: int | None, task_id: str | None, lines: int, follow: bool) -> None:
    """The runtime's log (or one task's output)."""
    settings = _settings(port)
    path: Path = (
        settings.logs_dir / "tasks" / f"{task_id}.log" if task_id else launcher.log_file(settings)
    )
    if not path.exists():
        raise click.ClickException(f"no log at {path}")
    with path.open(errors="replace") as fh:
        for line in fh.readlines()[-lines:]:
            click.echo(line, nl=False)
        while follow:
            line = fh.readline()
            if line:
                click.echo(line, nl=False)
            else:
                time.sleep(0.2)
