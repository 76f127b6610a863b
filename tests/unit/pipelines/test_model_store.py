from __future__ import annotations

from typing import Any

import pytest

from ml_common.errors import ModelNotFound
from ml_common.model_store import list_versions, load_model, save_model, set_stage


def _save(bucket: str, payload: bytes, stage: str = "candidate") -> str:
    return save_model(
        bucket, "m", payload, {"auc": 0.99}, "data-1", "code-1", {"C": 1.0}, ext="json", stage=stage
    )


def test_save_then_load_pinned_version(aws: dict[str, Any]) -> None:
    bucket = aws["MODELS_BUCKET"]
    version = _save(bucket, b"model-a")
    loaded = load_model(bucket, "m", version=version)
    assert loaded.data == b"model-a"
    assert loaded.metadata["metrics"] == {"auc": 0.99}
    assert loaded.metadata["data_hash"] == "data-1"
    keys = {o["Key"] for o in aws["s3"].list_objects_v2(Bucket=bucket)["Contents"]}
    assert f"models/m/{version}/model.json" in keys
    assert f"models/m/{version}/metadata.json" in keys


def test_candidate_is_not_prod(aws: dict[str, Any]) -> None:
    _save(aws["MODELS_BUCKET"], b"model-a")
    with pytest.raises(ModelNotFound, match="no 'prod' version"):
        load_model(aws["MODELS_BUCKET"], "m")


def test_prod_pointer_moves_and_index_follows(aws: dict[str, Any]) -> None:
    bucket = aws["MODELS_BUCKET"]
    first = _save(bucket, b"model-a", stage="prod")
    second = _save(bucket, b"model-b")
    assert load_model(bucket, "m").version == first
    set_stage(bucket, "m", second, "prod")
    assert load_model(bucket, "m").data == b"model-b"
    stages = {v["version"]: v["stage"] for v in list_versions(bucket, "m")}
    assert stages[second] == "prod"
    assert len(stages) == 2


def test_tampered_artifact_is_refused(aws: dict[str, Any]) -> None:
    bucket = aws["MODELS_BUCKET"]
    version = _save(bucket, b"model-a", stage="prod")
    aws["s3"].put_object(Bucket=bucket, Key=f"models/m/{version}/model.json", Body=b"evil")
    with pytest.raises(ModelNotFound, match="checksum"):
        load_model(bucket, "m")


def test_unknown_version_and_bad_stage(aws: dict[str, Any]) -> None:
    bucket = aws["MODELS_BUCKET"]
    with pytest.raises(ModelNotFound):
        set_stage(bucket, "m", "nope", "prod")
    with pytest.raises(ValueError, match="stage"):
        _save(bucket, b"x", stage="production")
    with pytest.raises(ValueError, match="invalid model name"):
        save_model(bucket, "../x", b"x", {}, "", "", {})
