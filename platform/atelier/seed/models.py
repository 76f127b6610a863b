"""Train the three models with the pipelines' own code and store them in the model store.

Idempotent: a model that already has the wanted stage (``prod`` for the two served models, a
``candidate`` for the active-learning reference) is left alone unless ``retrain`` is set, so a
second seed never moves a pointer someone promoted since.

A model that must be stored is taken from the local model cache (``atelier.seed.cache``) when an
entry was trained from the same code, data, parameters and library versions, and trained (then
cached) otherwise; ``retrain`` always trains. A cached model is stored with the metrics, data
hash, parameters and code version of the run that trained it: what a retrain would record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from atelier.seed import cache
from atelier.seed.paths import code_version


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


def _digits_fingerprint() -> str:
    from non_structured_data_images.tiles import digits

    grids, labels = digits()
    h = hashlib.sha256(np.ascontiguousarray(grids).tobytes())
    h.update(np.ascontiguousarray(labels).tobytes())
    return f"digits-{h.hexdigest()[:16]}"


def _structured_fingerprint() -> str:
    from structured_data.features import load_dataset

    return f"breast-cancer-{load_dataset().data_hash}"


def _params(module: str) -> dict[str, Any]:
    """The trainer's parameters: the seed passes no overrides, so its module's ``PARAMS``.

    Read from the module's source when ``PARAMS`` is a literal (it is), so a seed that reuses
    cached models never imports torch; imported otherwise."""
    import ast
    import importlib
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin:
        tree = ast.parse(Path(spec.origin).read_text())
        for node in tree.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            if isinstance(target, ast.Name) and target.id == "PARAMS" and value is not None:
                try:
                    return dict(ast.literal_eval(value))
                except ValueError:
                    break
    return dict(importlib.import_module(module).PARAMS)


# model name -> (data fingerprint, training-parameter module) for the cache key
KEY_INPUTS: dict[str, tuple[Callable[[], str], str]] = {
    "structured_data": (_structured_fingerprint, "structured_data.train"),
    "digits_cnn": (_digits_fingerprint, "non_structured_data_images.train"),
    "al_digits_cnn": (_digits_fingerprint, "non_structured_al_data_images.train"),
}


def model_cache_key(name: str) -> str:
    fingerprint, params_module = KEY_INPUTS[name]
    return cache.cache_key(name, fingerprint(), _params(params_module))


# model name -> (pipeline directory, trainer, stage the seed leaves it at)
MODELS: dict[str, tuple[str, Callable[[], tuple[Any, str]], str]] = {
    "structured_data": ("structured_data", _structured, "prod"),
    "digits_cnn": ("non_structured_data_images", _digits, "prod"),
    "al_digits_cnn": ("non_structured_al_data_images", _al_reference, "candidate"),
}


def seed_model(bucket: str, name: str, retrain: bool = False) -> dict[str, Any]:
    from ml_common import model_store

    pipeline, trainer, stage = MODELS[name]
    existing = _has_stage(bucket, name, stage)
    if existing and not retrain:
        return {"version": existing, "stage": stage, "trained": False}
    key = model_cache_key(name)
    code = code_version(pipeline)
    entry = None if retrain else cache.load(name, key)
    if entry is not None and entry.code_version != code:
        entry = None  # cannot happen while the key covers the code; never store a wrong label
    cached = entry is not None
    if entry is None:
        result, ext = trainer()
        entry = cache.Entry(
            key=key,
            model_bytes=result.model_bytes,
            ext=ext,
            metrics=dict(result.metrics),
            data_hash=str(result.data_hash),
            params=dict(result.params),
            code_version=code,
        )
        cache.store(name, entry)
    version = model_store.save_model(
        bucket,
        name,
        entry.model_bytes,
        entry.metrics,
        entry.data_hash,
        entry.code_version,
        entry.params,
        ext=entry.ext,
        stage=stage,
    )
    return {
        "version": version,
        "stage": stage,
        "trained": not cached,
        "cache": "reused" if cached else ("retrained" if retrain else "trained"),
        "cache_key": key,
        "metrics": entry.metrics,
    }
