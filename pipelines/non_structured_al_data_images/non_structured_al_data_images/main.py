"""GPU task entry point (the Dockerfile's CMD): active learning over the named image pools.

Environment: ``JOB_ID``, ``DATASET_IDS`` (RunTask overrides), ``JOBS_TABLE``, ``INPUTS_BUCKET``,
``RESULTS_BUCKET``, ``MODELS_BUCKET``, ``AL_ROUNDS`` / ``AL_BATCH`` / ``AL_EPOCHS`` (workload),
optional ``AL_SEED``, ``AL_MODEL_NAME`` (default ``al_digits_cnn``) and ``ATELIER_DEVICE``
(``cuda`` or ``cpu``, set by the compute agent; otherwise CUDA when torch sees it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import numpy as np
import torch

from ml_common.aws import client, require_env
from ml_common.digits_net import set_threads, to_bytes
from ml_common.errors import ConfigError, PipelineError
from ml_common.jobs import JobStore
from ml_common.model_store import save_model
from ml_common.task import configure_logging, run_job
from non_structured_al_data_images.al import ALConfig, rank_unlabelled, run_active_learning
from non_structured_al_data_images.pools import Pool, load_pools, parse_dataset_ids
from non_structured_al_data_images.report import curves_doc, plot_png

log = logging.getLogger("non_structured_al_data_images")
TEST_FRACTION = 0.25


def choose_device() -> str:
    wanted = os.environ.get("ATELIER_DEVICE", "").strip().lower()
    available = torch.cuda.is_available()
    if wanted == "cuda" and not available:
        log.warning("ATELIER_DEVICE=cuda but torch sees no GPU: falling back to cpu")
        return "cpu"
    device = wanted if wanted in ("cuda", "cpu") else ("cuda" if available else "cpu")
    log.info("device: %s (torch.cuda.is_available()=%s)", device, available)
    return device


def _int_env(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be an integer in [{low}, {high}], not {raw!r}")
    return int(raw)


def config_from_env(device: str) -> ALConfig:
    batch = _int_env("AL_BATCH", 20, 1, 1000)
    return ALConfig(
        rounds=_int_env("AL_ROUNDS", 5, 1, 200),
        batch=batch,
        epochs=_int_env("AL_EPOCHS", 3, 1, 200),
        initial=batch,
        seed=_int_env("AL_SEED", 0, 0, 2**31),
        device=device,
    )


def split(pool: Pool, seed: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Deterministic (pool, held-out test) index split of the loaded items."""
    order = np.random.default_rng(seed).permutation(len(pool.ids))
    n_test = max(1, int(len(order) * TEST_FRACTION))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def process(job_id: str, jobs: JobStore, device: str) -> dict[str, str]:
    cfg = config_from_env(device)
    datasets = parse_dataset_ids(os.environ.get("DATASET_IDS", ""))
    results, models = require_env("RESULTS_BUCKET"), require_env("MODELS_BUCKET")
    pool = load_pools(require_env("INPUTS_BUCKET"), datasets)
    train_idx, test_idx = split(pool, cfg.seed)
    needed = cfg.initial + cfg.rounds * cfg.batch
    if needed > len(train_idx):
        raise PipelineError(
            f"the pools hold {len(train_idx)} unlabelled images, fewer than the {needed} "
            f"that {cfg.rounds} rounds of {cfg.batch} need"
        )
    log.info(
        "pools %s: %d images (%d pool, %d held out)",
        datasets,
        len(pool.ids),
        len(train_idx),
        len(test_idx),
    )

    def on_round(k: int, n: int) -> None:
        jobs.progress(job_id, k, n)
        log.info("round %d of %d done", k, n)

    result = run_active_learning(
        pool.x[train_idx],
        pool.y[train_idx],
        pool.x[test_idx],
        pool.y[test_idx],
        cfg,
        on_round=on_round,
    )
    best = result.best_strategy()
    pool_ids = [pool.ids[i] for i in train_idx]
    ranked = rank_unlabelled(
        result, "entropy" if best == "random" else best, pool.x[train_idx], pool_ids
    )
    doc = curves_doc(result, device, datasets)
    run = result.runs[best]
    assert run.net is not None
    final = run.curve[-1]
    version = save_model(
        models,
        os.environ.get("AL_MODEL_NAME", "al_digits_cnn"),
        to_bytes(run.net.cpu()),
        {"accuracy": final["accuracy"], "labels": final["labels"], "n_test": float(len(test_idx))},
        data_hash=f"pools:{','.join(datasets)}",
        code_version=os.environ.get("CODE_VERSION", "dev"),
        params={**doc["config"], "strategy": best, "job_id": job_id},
        ext="pt",
        stage="candidate",
    )
    prefix = f"jobs/{job_id}"
    s3 = client("s3")
    bodies = {
        "ranked_ids": (
            "ranked_ids.json",
            json.dumps({"strategy": best, "items": ranked}, indent=2),
            "application/json",
        ),
        "curves": (
            "learning_curves.json",
            json.dumps({**doc, "model_version": version}, indent=2),
            "application/json",
        ),
    }
    outputs = {}
    for name, (key, text, ctype) in bodies.items():
        s3.put_object(Bucket=results, Key=f"{prefix}/{key}", Body=text.encode(), ContentType=ctype)
        outputs[name] = f"s3://{results}/{prefix}/{key}"
    plot = plot_png(result, f"Active learning on {', '.join(datasets)} ({device})")
    s3.put_object(
        Bucket=results, Key=f"{prefix}/learning_curves.png", Body=plot, ContentType="image/png"
    )
    outputs["plot"] = f"s3://{results}/{prefix}/learning_curves.png"
    outputs["model"] = (
        f"s3://{models}/models/{os.environ.get('AL_MODEL_NAME', 'al_digits_cnn')}/{version}/model.pt"
    )
    return outputs


def main() -> int:
    configure_logging()
    set_threads()
    job_id = require_env("JOB_ID")
    device = choose_device()
    return run_job(job_id, lambda jobs: process(job_id, jobs, device), device=device)


if __name__ == "__main__":
    sys.exit(main())
