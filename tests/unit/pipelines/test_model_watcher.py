"""The structured service follows the registry's prod pointer without a restart (moto's S3)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ml_common import model_store
from ml_common.aws import client
from structured_data.app import create_app
from structured_data.db import Prediction
from structured_data.features import load_dataset
from structured_data.serving import ModelWatcher
from structured_data.train import train


class MemoryRepo:
    def __init__(self) -> None:
        data = load_dataset()
        self.rows = {
            rid: dict(zip(data.columns, map(float, x), strict=True))
            for rid, x in zip(data.ids[:5], data.X[:5], strict=True)
        }
        self.recorded: list[Prediction] = []

    def features(self, record_id: str, columns: Sequence[str]) -> dict[str, float] | None:
        return self.rows.get(record_id)

    def record(self, prediction: Prediction) -> None:
        self.recorded.append(prediction)

    def unit(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def models() -> list[bytes]:
    return [train(params={"C": c}).model_bytes for c in (1.0, 0.1)]


def _save(data: bytes, stage: str) -> str:
    bucket = os.environ["MODELS_BUCKET"]
    return model_store.save_model(
        bucket, "structured_data", data, {}, "d", "c", {}, ext="json", stage=stage
    )


def test_a_promotion_reaches_the_running_service(aws: dict[str, Any], models: list[bytes]) -> None:
    first = _save(models[0], "prod")
    watcher = ModelWatcher(os.environ["MODELS_BUCKET"], "structured_data")
    repo = MemoryRepo()
    client = TestClient(create_app(repo, watcher))
    record = next(iter(repo.rows))
    assert client.get("/version").json()["model_version"] == first
    assert client.post("/predict", json={"id": record}).json()["model_version"] == first

    second = _save(models[1], "prod")  # the prod pointer moves
    assert watcher.check() is True
    assert client.get("/version").json()["model_version"] == second
    assert client.get("/health").json()["model_version"] == second
    assert client.post("/predict", json={"id": record}).json()["model_version"] == second
    assert [p.model_version for p in repo.recorded] == [first, second]


def test_a_broken_new_version_keeps_the_current_one(
    aws: dict[str, Any], models: list[bytes]
) -> None:
    bucket = os.environ["MODELS_BUCKET"]
    first = _save(models[0], "prod")
    watcher = ModelWatcher(bucket, "structured_data")
    second = _save(models[1], "prod")
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=f"models/structured_data/{second}/model.json", Body=b"{}")
    assert watcher.check() is False
    body = TestClient(create_app(MemoryRepo(), watcher)).get("/version").json()
    assert body["model_version"] == first
    assert "checksum" in body["last_reload_error"]


def test_a_pinned_version_is_never_replaced(aws: dict[str, Any], models: list[bytes]) -> None:
    first = _save(models[0], "prod")
    watcher = ModelWatcher(os.environ["MODELS_BUCKET"], "structured_data", pinned=first)
    _save(models[1], "prod")
    assert watcher.check() is False
    assert watcher.current.version == first


def test_the_watcher_thread_picks_up_a_promotion(aws: dict[str, Any], models: list[bytes]) -> None:
    import time

    _save(models[0], "prod")
    watcher = ModelWatcher(os.environ["MODELS_BUCKET"], "structured_data")
    watcher.start(0.05)
    try:
        second = _save(models[1], "prod")
        deadline = time.monotonic() + 10
        while watcher.current.version != second and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert watcher.current.version == second
