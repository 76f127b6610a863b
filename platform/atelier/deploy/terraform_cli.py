"""The terminal side of ``atelier deploy --engine terraform``: progress and one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from atelier.config import Settings
from atelier.deploy import apply, terraform_engine
from atelier.deploy.context import Deployment
from atelier.deploy.terraform import TerraformFailed


class ApplyProgress:
    """One bar over the planned changes; the line names the resource being applied."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("terraform: planning", total=None)
        self.planned = 0
        self.running: list[str] = []

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "planned_change":
            self.planned += 1
            self.progress.update(self.task, total=self.planned,
                                 description=f"terraform: {self.planned} changes planned")  # fmt: skip
        elif kind == "apply_start":
            self.running.append(event["hook"]["resource"]["addr"])
            self._show()
        elif kind in ("apply_complete", "apply_errored"):
            addr = event["hook"]["resource"]["addr"]
            if addr in self.running:
                self.running.remove(addr)
            self.progress.advance(self.task)
            self._show()
        elif kind == "change_summary":
            self.progress.update(self.task, description=f"terraform: {event['@message']}")

    def _show(self) -> None:
        if self.running:
            last = self.running[-1].replace("module.stack.", "")
            more = f" (+{len(self.running) - 1})" if len(self.running) > 1 else ""
            self.progress.update(self.task, description=f"terraform: {last}{more}")


def deploy_with_terraform(
    deployment: Deployment,
    settings: Settings,
    console: Console,
    step_progress: Callable[[Progress], apply.Listener],
    print_outputs: Callable[[dict[str, Any]], None],
) -> None:
    console.print(
        f"Deploying [bold]{deployment.exp.env}[/] to {settings.endpoint_url} with Terraform "
        f"([dim]terraform/envs/local[/])"
    )
    columns = (SpinnerColumn(finished_text=""), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as progress:
        try:
            result = terraform_engine.deploy(
                deployment,
                on_event=ApplyProgress(progress),
                on_step=step_progress(progress),
                say=lambda text: progress.console.print(f"[dim]{text}[/]"),
            )
        except TerraformFailed as exc:
            raise click.ClickException(str(exc)) from exc
        except apply.StepFailed as exc:
            raise click.ClickException(str(exc)) from exc
    changes = ", ".join(f"{n} {k}" for k, n in result.summary.items() if n) or "no changes"
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items() if v)
    console.print(f"[bold]{changes}[/] ({timing})")
    print_outputs(result.values)
    console.print(f"[dim]outputs: {result.path}[/]")
