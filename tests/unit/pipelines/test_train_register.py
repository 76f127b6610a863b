"""``python -m <pipeline>.train --register``: what a training task runs in an account."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ml_common import model_store
from structured_data import train


def test_register_stores_a_candidate_with_its_lineage(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODE_VERSION", "abc123")
    train.main(["--register"])
    bucket = os.environ["MODELS_BUCKET"]
    [entry] = model_store.list_versions(bucket, "structured_data")
    assert entry["code_version"] == "abc123"
    assert entry["data_hash"] and entry["metrics"]["roc_auc"] > 0.9
    assert model_store.resolve_version(bucket, "structured_data", "candidate") == entry["version"]
    assert entry["version"] in capsys.readouterr().out


def test_register_without_a_models_bucket_is_a_clear_error(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ml_common.errors import ConfigError

    monkeypatch.delenv("MODELS_BUCKET")
    with pytest.raises(ConfigError, match="MODELS_BUCKET"):
        train.main(["--register"])
