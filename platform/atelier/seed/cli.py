"""`atelier seed`: tabular records, image pools, test images and models (idempotent)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from atelier.cli_settings import current_settings
from atelier.seed.targets import SeedConfigError, resolve_targets


@click.command(name="seed")
@click.option("--endpoint-url", default=None, help="AWS endpoint (default: the local runtime).")
@click.option("--inputs-bucket", default=None, help="Default: deployed outputs.")
@click.option("--models-bucket", default=None, help="Default: deployed outputs.")
@click.option("--db-secret-arn", default=None, help="Default: deployed outputs.")
@click.option("--home", type=click.Path(path_type=Path), default=None, help="Atelier home.")
@click.option(
    "--retrain",
    is_flag=True,
    help="Train and store new model versions anyway (never from the local model cache).",
)
@click.option("--no-models", is_flag=True, help="Data only.")
@click.option("--no-database", is_flag=True, help="Skip the PostgreSQL features table.")
def seed(
    endpoint_url: str | None,
    inputs_bucket: str | None,
    models_bucket: str | None,
    db_secret_arn: str | None,
    home: Path | None,
    retrain: bool,
    no_models: bool,
    no_database: bool,
) -> None:
    """Load data (PostgreSQL features, S3 pools and images) and train/store the models.

    A model trained before from the same code, data and parameters is taken from the local
    model cache (~/.cache/atelier/models; ATELIER_MODEL_CACHE=off to disable) instead of
    being trained again."""
    from atelier.seed.run import run_seed

    console = Console()
    try:
        targets = resolve_targets(
            current_settings(), endpoint_url, inputs_bucket, models_bucket, db_secret_arn, home
        )
        info = run_seed(
            targets,
            retrain=retrain,
            models=not no_models,
            database=not no_database,
            console=console,
        )
    except (SeedConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(
        f"[bold green]seeded[/] image link {info['image_link']}, "
        f"datasets {', '.join(info['dataset_ids'])}; {targets.home / 'seed.json'}"
    )
