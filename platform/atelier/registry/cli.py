"""`atelier registry list|promote|rollback`: the model registry from the terminal."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from atelier.config import get_settings
from atelier.registry import registry


def models_bucket(explicit: str | None) -> str:
    """The models bucket: an option, ``MODELS_BUCKET``, or the deployed outputs."""
    if explicit:
        return explicit
    if os.environ.get("MODELS_BUCKET"):
        return os.environ["MODELS_BUCKET"]
    outputs = get_settings().home / "outputs.json"
    if outputs.exists():
        buckets: dict[str, Any] = json.loads(outputs.read_text()).get("buckets", {})
        if "models" in buckets:
            return str(buckets["models"])
    raise click.ClickException(
        "no models bucket: pass --bucket, set MODELS_BUCKET, or run `atelier deploy`"
    )


def _use_endpoint() -> None:
    """Locally, unless an endpoint is configured, the command's clients go to the local runtime:
    an explicit session held by the click context, never written into the process environment."""
    from ml_common.aws import AwsSession, using

    settings = get_settings()
    if settings.env == "local" and not os.environ.get("AWS_ENDPOINT_URL"):
        session = AwsSession(settings.endpoint_url, settings.region)
        click.get_current_context().with_resource(using(session))


bucket_option = click.option(
    "--bucket", default=None, help="Models bucket (default: deployed outputs)."
)


@click.group(name="registry")
def registry_group() -> None:
    """Model versions and their stages (candidate → preprod → prod)."""
    _use_endpoint()


@registry_group.command(name="list")
@click.argument("model")
@bucket_option
def list_versions(model: str, bucket: str | None) -> None:
    """Every version of MODEL with its stage and metrics."""
    table = Table(title=f"model {model}")
    for column in ("version", "stage", "created", "data hash", "metrics"):
        table.add_column(column)
    for v in registry.versions(models_bucket(bucket), model):
        metrics = ", ".join(f"{k}={val:.4g}" for k, val in sorted(v.get("metrics", {}).items()))
        table.add_row(
            v["version"],
            v.get("stage", ""),
            v.get("created_at", ""),
            v.get("data_hash", "")[:12],
            metrics,
        )
    Console().print(table)


@registry_group.command()
@click.argument("model")
@click.argument("version")
@click.option("--to", "to", type=click.Choice(["preprod", "prod"]), required=True)
@click.option(
    "--verdict",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="verdict.json from `atelier evaluate` (required reading for prod).",
)
@click.option("--approved", is_flag=True, help="A person approved a manual_review verdict.")
@bucket_option
def promote(
    model: str, version: str, to: str, verdict: Path | None, approved: bool, bucket: str | None
) -> None:
    """Promote VERSION of MODEL one stage forward."""
    document = json.loads(verdict.read_text()) if verdict else None
    try:
        registry.promote(
            models_bucket(bucket), model, version, to, verdict=document, approved=approved
        )
    except registry.PromotionRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{model} {version} is now {to}")


@registry_group.command()
@click.argument("model")
@click.option("--stage", default="prod", type=click.Choice(["preprod", "prod"]))
@bucket_option
def rollback(model: str, stage: str, bucket: str | None) -> None:
    """Point STAGE of MODEL back at its previous version."""
    try:
        version = registry.rollback(models_bucket(bucket), model, stage)
    except registry.PromotionRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{model} {stage} rolled back to {version}")
