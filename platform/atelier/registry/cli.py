"""`atelier registry list|promote|rollback`: the model registry from the terminal."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from atelier.cli_settings import current_settings
from atelier.registry import accounts, registry, training, transfer
from ml_common.errors import ModelNotFound


def models_bucket(explicit: str | None) -> str:
    """The models bucket: an option, ``MODELS_BUCKET``, or the deployed outputs."""
    if explicit:
        return explicit
    if os.environ.get("MODELS_BUCKET"):
        return os.environ["MODELS_BUCKET"]
    outputs = current_settings().home / "outputs.json"
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

    settings = current_settings()
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
@click.option("--approved-by", default=None, help="Who approved (default: $GITHUB_ACTOR or $USER).")
@click.option(
    "--from-env",
    default=None,
    help="Copy the version from this environment's account (e.g. preprod) into the target's.",
)
@click.option("--to-env", default=None, help="The target environment's account (default: --to).")
@click.option("--from-bucket", default=None, help="Source models bucket (default: by contract).")
@bucket_option
def promote(
    model: str,
    version: str,
    to: str,
    verdict: Path | None,
    approved: bool,
    approved_by: str | None,
    from_env: str | None,
    to_env: str | None,
    from_bucket: str | None,
    bucket: str | None,
) -> None:
    """Promote VERSION of MODEL one stage forward (across accounts with --from-env)."""
    document = json.loads(verdict.read_text()) if verdict else None
    try:
        if from_env:
            source = accounts.account(from_env, from_bucket)
            target = accounts.account(to_env or to, bucket)
            transfer.promote_across(
                source,
                target,
                model,
                version,
                stage=to,
                verdict=document,
                approved=approved,
                approved_by=approved_by,
            )
            click.echo(
                f"{model} {version} copied from {source.env} (s3://{source.bucket}) to "
                f"{target.env} (s3://{target.bucket}), checksum verified; it is now {to}"
            )
            return
        registry.promote(
            models_bucket(bucket), model, version, to, verdict=document, approved=approved
        )
    except (registry.PromotionRefused, ModelNotFound) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{model} {version} is now {to}")


@registry_group.command()
@click.argument("model")
@click.option("--stage", default="prod", type=click.Choice(["preprod", "prod"]))
@click.option("--env", "env", default=None, help="The environment's account (e.g. prod).")
@bucket_option
def rollback(model: str, stage: str, env: str | None, bucket: str | None) -> None:
    """Point STAGE of MODEL back at its previous version."""
    try:
        if env:
            version = transfer.rollback_across(accounts.account(env, bucket), model, stage)
        else:
            version = registry.rollback(models_bucket(bucket), model, stage)
    except (registry.PromotionRefused, ModelNotFound) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{model} {stage} rolled back to {version}")


@registry_group.command(name="train")
@click.argument("pipeline", type=click.Choice(sorted(training.TRAINABLE)))
@click.option("--env", "env", required=True, help="The environment (account) to train in.")
@click.option(
    "--code-version",
    default=lambda: os.environ.get("GITHUB_SHA", "local"),
    help="Commit of the image, kept as the candidate's lineage (default: $GITHUB_SHA).",
)
@bucket_option
def train_candidate(pipeline: str, env: str, code_version: str, bucket: str | None) -> None:
    """Train a candidate of PIPELINE in ENV as an ECS task (RunTask of its own image)."""
    console = Console()
    try:
        with console.status(f"training {pipeline} in {env} (ECS task)…") as status:
            done = training.train_in(
                env,
                pipeline,
                code_version=code_version,
                bucket=bucket,
                progress=lambda text: status.update(text),
            )
    except training.TrainingFailed as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(
        f"{done.model} candidate {done.version} registered in {env} "
        f"({done.seconds:.0f} s, task {done.task_arn.rsplit('/', 1)[-1]})"
    )
    click.echo(done.version)
