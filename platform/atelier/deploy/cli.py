"""``atelier deploy`` and ``atelier destroy``."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from atelier.cli_settings import current_settings
from atelier.config import Settings
from atelier.deploy import apply, outputs
from atelier.deploy.change import Action, Change
from atelier.deploy.context import Deployment
from atelier.deploy.plan import DEPLOY, Step
from atelier.deploy.teardown import DESTROY

console = Console(highlight=False)
MARKS = {
    Action.CREATED: "[green]+[/]",
    Action.UPDATED: "[yellow]~[/]",
    Action.DELETED: "[red]-[/]",
    Action.PENDING: "[magenta]…[/]",
}


class _Progress:
    """One line per step: a spinner while it runs, then what it changed."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def __call__(
        self,
        event: str,
        step: Step,
        seconds: float,
        changes: list[Change] | None,
        error: BaseException | None,
    ) -> None:
        with self.lock:
            if event == "start":
                self.tasks[step.name] = self.progress.add_task(step.label, total=1)
                return
            task = self.tasks[step.name]
            if event == "fail":
                text = f"[red]✗ {step.label}: {error}[/]"
            else:
                moved = [c for c in changes or [] if c.changed or c.action is Action.PENDING]
                summary = ", ".join(sorted({c.action.value for c in moved})) or "no changes"
                text = f"[green]✓[/] {step.label} [dim]({summary}, {seconds:.2f} s)[/]"
            self.progress.update(task, description=text, completed=1)


def _run(deployment: Deployment, plan: tuple[Step, ...]) -> apply.Report:
    columns = (
        SpinnerColumn(finished_text=""),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        try:
            return apply.run(deployment, plan, _Progress(progress))
        except apply.StepFailed as exc:
            raise click.ClickException(str(exc)) from exc


def _print_changes(report: apply.Report, verbose: bool) -> None:
    shown = (
        report.changes
        if verbose
        else [c for c in report.changes if c.changed or c.action is Action.PENDING]
    )
    for change in sorted(shown, key=lambda c: (c.kind, c.name)):
        mark = MARKS.get(change.action, " ")
        detail = f" [dim]{change.detail}[/]" if change.detail else ""
        console.print(
            f"  {mark} {change.kind} [bold]{change.name}[/] {change.action.value}{detail}"
        )


def _print_outputs(values: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    for key in ("api_url", "frontend_url", "service_urls", "db_endpoint", "cluster", "username"):
        value = values.get(key)
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        table.add_row(f"[cyan]{key}[/]", str(value))
    console.print(table)


def _show_password(deployment: Deployment, settings: Settings) -> None:
    account = deployment.results.get("users")
    if account is None or not account.new_password:
        return
    console.print(
        Panel(
            f"user [bold]{account.username}[/]\npassword [bold]{account.new_password}[/]\n"
            f"[dim]shown once; also in {settings.home / 'credentials.json'} (mode 0600)[/]",
            title="API credentials",
            expand=False,
        )
    )


def _check_runtime(settings: Settings) -> None:
    """Fail fast, and say what to do, when nothing answers on the endpoint."""
    url = f"{settings.endpoint_url}/_localstack/health"  # MiniStack and LocalStack both answer
    try:
        with urllib.request.urlopen(url, timeout=3):  # noqa: S310 - the configured endpoint
            return
    except urllib.error.HTTPError:
        return  # something answers; let the AWS calls say what is wrong
    except OSError as exc:
        raise click.ClickException(
            f"no AWS runtime answers on {settings.endpoint_url} ({exc}): start it with "
            "`atelier emulator start`, or point ATELIER_HOST/ATELIER_PORT at a running one"
        ) from exc


def _settings(topology: Path | None) -> tuple[Settings, Deployment]:
    settings = current_settings()
    try:
        deployment = Deployment.from_settings(settings, topology)
    except Exception as exc:  # the loader's errors name the field and the line
        raise click.ClickException(f"cannot read the topology: {exc}") from exc
    _check_runtime(settings)
    return settings, deployment


@click.command()
@click.option(
    "--topology",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="topology file (default: topology.yaml at the repository root)",
)
@click.option("-v", "--verbose", is_flag=True, help="list unchanged resources too")
@click.option(
    "--service-wait",
    type=float,
    default=5.0,
    show_default=True,
    help="seconds to wait for a (re)deployed service to turn healthy (where tasks run)",
)
@click.option(
    "--engine",
    type=click.Choice(["python", "terraform"]),
    default="python",
    show_default=True,
    help="python: Atelier's deployer; terraform: terraform/envs/local applied to the runtime",
)
def deploy(topology: Path | None, verbose: bool, service_wait: float, engine: str) -> None:
    """Create or update every resource of the topology on the running runtime."""
    settings, deployment = _settings(topology)
    deployment.service_wait = service_wait
    if engine == "terraform":
        from atelier.deploy.terraform_cli import deploy_with_terraform

        deploy_with_terraform(deployment, settings, console, _Progress, _print_outputs)
        return
    console.print(f"Deploying [bold]{deployment.exp.env}[/] to {settings.endpoint_url}")
    try:
        report = _run(deployment, DEPLOY)
    finally:  # a password generated before a later step failed must still be shown once
        _show_password(deployment, settings)
    values = outputs.collect(deployment)
    path = outputs.write(settings.home, values)
    _print_changes(report, verbose)
    changed = report.changed
    if changed:
        counts = {a.value: sum(c.action is a for c in changed) for a in Action}
        summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
        console.print(f"[bold]{summary}[/] in {report.seconds:.1f} s")
    else:
        console.print(
            f"[bold green]no changes[/] ({len(report.changes)} resources checked "
            f"in {report.seconds:.1f} s)"
        )
    _print_outputs(values)
    console.print(f"[dim]outputs: {path}[/]")


@click.command()
@click.option("--topology", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option("-v", "--verbose", is_flag=True, help="list resources that were already gone too")
def destroy(topology: Path | None, yes: bool, verbose: bool) -> None:
    """Remove everything `atelier deploy` created (data included)."""
    settings, deployment = _settings(topology)
    if not yes and not click.confirm(
        f"Destroy every {deployment.exp.env} resource on {settings.endpoint_url}, data included?"
    ):
        raise click.Abort()
    report = _run(deployment, DESTROY)
    _print_changes(report, verbose)
    removed = len(report.changed)
    console.print(
        f"[bold]{removed} removed[/] in {report.seconds:.1f} s"
        if removed
        else "[bold green]nothing to remove[/]"
    )
