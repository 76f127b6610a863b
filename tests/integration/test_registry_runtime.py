"""The registry and `atelier evaluate` against the real runtime's S3 (conditional writes)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from atelier.config import Settings
from atelier.evaluation.cli import evaluate
from atelier.registry import registry
from ml_common import model_store
from structured_data.train import train

pytestmark = pytest.mark.integration
MODEL = "structured_data"


@pytest.fixture
def bucket(runtime: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", runtime.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = f"registry-{request.node.name.replace('_', '-')[:40]}".lower()
    runtime.client("s3").create_bucket(Bucket=name)
    return name


def test_concurrent_promotions_leave_a_consistent_index(bucket: str) -> None:
    versions = [
        model_store.save_model(bucket, MODEL, bytes([i]) * 64, {"accuracy": 0.9}, "d", "c", {})
        for i in range(8)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda v: registry.promote(bucket, MODEL, v, "preprod"), versions))
    index = {e["version"]: e for e in registry.versions(bucket, MODEL)}
    assert set(index) == set(versions), "a concurrent writer lost another's entry"
    assert {index[v]["stage"] for v in versions} == {"preprod"}
    history = [h["version"] for h in registry._index(bucket, MODEL)["history"]["preprod"]]
    assert sorted(history) == sorted(versions), "a promotion is missing from the stage history"


def test_evaluate_on_the_runtime_writes_a_verdict(bucket: str, tmp_path: Path) -> None:
    settings = Settings(repo_root=tmp_path, env="preprod")
    stored = []
    # the same training twice: no metric can be significantly worse, so the verdict is promote
    for c, stage in ((1.0, "prod"), (1.0, "candidate")):
        result = train(params={"C": c})
        stored.append(
            model_store.save_model(
                bucket,
                MODEL,
                result.model_bytes,
                result.metrics,
                result.data_hash,
                "test",
                result.params,
                ext="json",
                stage=stage,
            )
        )
    outcome = CliRunner().invoke(
        evaluate, ["--candidate", stored[1], "--bucket", bucket], obj=settings
    )
    assert outcome.exit_code == 0, outcome.output
    verdict = json.loads(
        (tmp_path / "reports" / "evaluation" / stored[1] / "verdict.json").read_text()
    )
    assert (verdict["decision"], verdict["baseline"], verdict["env"]) == (
        "promote",
        stored[0],
        "preprod",
    )
