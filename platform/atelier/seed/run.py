"""The seed, in three concurrent lanes, with rich progress; importable for the e2e run and tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from atelier.seed.images import DATASET_IDS, seed_bad_samples, seed_composites, seed_pools
from atelier.seed.models import MODELS, seed_model
from atelier.seed.tabular import db_conninfo, seed_features
from atelier.seed.targets import SeedTargets
from ml_common.aws import client, in_session, using


def run_seed(
    targets: SeedTargets,
    *,
    retrain: bool = False,
    models: bool = True,
    database: bool = True,
    console: Console | None = None,
) -> dict[str, Any]:
    """Seed data and models into ``targets``; write and return ``<home>/seed.json``."""
    with using(targets.session()):
        return _run_seed(
            targets, retrain=retrain, models=models, database=database, console=console
        )


def _run_seed(
    targets: SeedTargets, *, retrain: bool, models: bool, database: bool, console: Console | None
) -> dict[str, Any]:

    # (torch is imported, and its threads set, only by a trainer that runs: see models.py)
    s3 = client("s3")
    inputs = targets.inputs_bucket
    summary: dict[str, Any] = {"inputs_bucket": inputs, "models_bucket": targets.models_bucket}
    # Three independent lanes, run side by side (PostgreSQL, the inputs bucket, the models
    # bucket); within a lane the steps run in order.
    lanes: list[list[tuple[str, Callable[[], Any]]]] = []
    if database:
        if not targets.db_secret_arn:
            raise ValueError(
                "no DB secret: deploy first, or pass --db-secret-arn (or --no-database)"
            )
        arn = targets.db_secret_arn
        lanes.append([("features", lambda: seed_features(db_conninfo(arn)))])
    lanes.append(
        [
            ("pools", lambda: seed_pools(s3, inputs)),
            ("composites", lambda: seed_composites(s3, inputs)),
            ("samples", lambda: seed_bad_samples(s3, inputs)),
        ]
    )
    if models:
        lanes.append(
            [
                (f"model {name}", _model_step(targets.models_bucket, name, retrain))
                for name in MODELS
            ]
        )
    # The heavy imports happen here, once, rather than racing in the lanes' threads.
    import non_structured_data_images.tiles  # noqa: F401
    import structured_data.features  # noqa: F401

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console or Console(), transient=False) as progress:

        def run_lane(lane: list[tuple[str, Callable[[], Any]]]) -> None:
            for label, step in lane:
                task = progress.add_task(f"seeding {label}", total=1)
                summary[label] = step()
                progress.update(task, completed=1, description=f"[green]✓[/] {label}")
                if label.startswith("model "):
                    line = _model_line(label.removeprefix("model "), summary[label])
                    progress.console.print(line)

        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            futures = [pool.submit(in_session(partial(run_lane, lane))) for lane in lanes]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]  # type: ignore[misc]

    first = summary["composites"][0]["key"]
    info = {
        "image_link": f"s3://{inputs}/{first}",
        "image_links": [f"s3://{inputs}/{c['key']}" for c in summary["composites"]],
        "dataset_ids": list(DATASET_IDS),
        "bad_links": summary["samples"],
        "records": summary.get("features"),
        "models": {
            k.removeprefix("model "): v for k, v in summary.items() if k.startswith("model ")
        },
    }
    targets.home.mkdir(parents=True, exist_ok=True)
    (targets.home / "seed.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return info


def _model_line(name: str, result: dict[str, Any]) -> str:
    how = result.get("cache")
    if how == "reused":
        return f"reused cached model {name} {result['cache_key']} as version {result['version']}"
    if how in ("trained", "retrained"):
        return (
            f"{how} model {name} (cache key {result['cache_key']}) as version {result['version']}"
        )
    return f"model {name} already at {result['stage']}: version {result['version']}"


def _model_step(bucket: str, name: str, retrain: bool) -> Callable[[], dict[str, Any]]:
    return lambda: seed_model(bucket, name, retrain=retrain)
