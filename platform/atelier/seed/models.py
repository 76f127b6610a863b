"""Train the three models with the pipelines' own code and store them in the model store.

Idempotent: a model that already has the wanted stage (``prod`` for the two served models, a
``candidate`` for the active-learning reference) is left alone unless ``retrain`` is set, so a
second seed never moves a pointer someone promoted since.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from atelier.seed.paths import code_version, pipelines_on_path


def _has_stage(bucket: str, name: str, stage: str) -> str | None:
    from ml_common import model_store
    from ml_common.errors import ModelNotFound

    if stage == "candidate":
        versions = model_store.list_versions(bucket, name)
        return str(versions[-1]["version"]) if versions else None
    try:
        return str(model_store.resolve_version(bucket, name, stage))
    except ModelNotFound:
        return None


def _structured() -> tuple[Any, str]:
    from structured_data.train import train

    return train(), "json"


def _digits() -> tuple[Any, str]:
    from non_structured_data_images.train import train

    return train(), "pt"


def _al_reference() -> tuple[Any, str]:
    from atelier.seed.images import pool_items
    from non_structured_al_data_images.main import TEST_FRACTION
    from non_structured_al_data_images.train import train
    from non_structured_data_images.tiles import digits

    grids, labels = digits()
    index = np.array([i["source_index"] for items in pool_items().values() for i in items])
    order = np.random.default_rng(0).permutation(len(index))
    n_test = int(len(order) * TEST_FRACTION)
    test, fit = index[order[:n_test]], index[order[n_test:]]
    return train(grids[fit], labels[fit], grids[test], labels[test]), "pt"


# model name -> (pipeline directory, trainer, stage the seed leaves it at)
MODELS: dict[str, tuple[str, Callable[[], tuple[Any, str]], str]] = {
    "structured_data": ("structured_data", _structured, "prod"),
    "digits_cnn": ("non_structured_data_images", _digits, "prod"),
    "al_digits_cnn": ("non_structured_al_data_images", _al_reference, "candidate"),
}


def seed_model(bucket: str, name: str, retrain: bool = False) -> dict[str, Any]:
    pipelines_on_path()
    from ml_common import model_store

    pipeline, trainer, stage = MODELS[name]
    existing = _has_stage(bucket, name, stage)
    if existing and not retrain:
        return {"version": existing, "stage": stage, "trained": False}
    result, ext = trainer()
    version = model_store.save_model(
        bucket,
        name,
        result.model_bytes,
        result.metrics,
        result.data_hash,
        code_version(pipeline),
        result.params,
        ext=ext,
        stage=stage,
    )
    return {"version": version, "stage": stage, "trained": True, "metrics": result.metrics}
