"""`atelier evaluate` over the registry: the pipelines' real model code, moto's S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from atelier.config import Settings
from atelier.evaluation.cli import evaluate
from atelier.registry.registry import lineage as registry_lineage
from ml_common import model_store
from structured_data.train import train

pytestmark = pytest.mark.slow  # trains and plots candidate models

BUCKET = "atelier-test-models"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    """A moto registry, and the settings the command is given (reports under ``tmp_path``)."""
    env = {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield Settings(env="unit", repo_root=tmp_path)


def _store(params: dict[str, object], stage: str = "candidate") -> str:
    result = train(params=params)
    return model_store.save_model(
        BUCKET,
        "structured_data",
        result.model_bytes,
        result.metrics,
        result.data_hash,
        "test",
        result.params,
        ext="json",
        stage=stage,
    )


def test_evaluate_writes_report_and_verdict_for_a_registered_candidate(
    registry: Settings, tmp_path: Path
) -> None:
    _store({"C": 1.0}, stage="prod")
    candidate = _store({"C": 0.9})
    outcome = CliRunner().invoke(
        evaluate, ["--candidate", candidate, "--bucket", BUCKET], obj=registry
    )
    assert outcome.exit_code == 0, outcome.output
    verdict = json.loads(
        (tmp_path / "reports" / "evaluation" / candidate / "verdict.json").read_text()
    )
    assert verdict["decision"] == "promote"
    assert verdict["candidate"] == candidate
    # the registry keeps what the version was judged on
    recorded = registry_lineage(BUCKET, "structured_data", candidate)
    assert recorded["verdict"] == "promote"
    assert len(recorded["validation_data_sha256"]) == 16 and len(recorded["suites_sha256"]) == 16
    assert verdict["lineage"]["validation_data_sha256"] == recorded["validation_data_sha256"]


def test_a_degraded_registered_candidate_is_blocked_with_exit_1(
    registry: Settings, tmp_path: Path
) -> None:
    _store({"C": 1.0}, stage="prod")
    candidate = _store({"C": 0.00005})
    outcome = CliRunner().invoke(
        evaluate, ["--candidate", candidate, "--bucket", BUCKET], obj=registry
    )
    assert outcome.exit_code == 1
    assert "block" in outcome.output


@pytest.mark.slow
def test_the_active_learning_model_is_evaluated_on_its_pools_split(
    registry: Settings, tmp_path: Path
) -> None:
    from atelier.evaluation.adapters import KINDS
    from atelier.seed.models import al_split
    from non_structured_al_data_images.train import train as train_al

    assert "al_digits_cnn" in KINDS
    stored = []
    split = al_split()
    for stage, seed in (("prod", 0), ("candidate", 1)):  # one epoch each: speed, not quality
        result = train_al(*split, params={"epochs": 1, "seed": seed})
        stored.append(
            model_store.save_model(
                BUCKET,
                "al_digits_cnn",
                result.model_bytes,
                result.metrics,
                result.data_hash,
                "test",
                result.params,
                ext="pt",
                stage=stage,
            )
        )
    outcome = CliRunner().invoke(
        evaluate,
        ["--candidate", stored[1], "--model", "al_digits_cnn", "--bucket", BUCKET],
        obj=registry,
    )
    assert outcome.exit_code in (0, 1), outcome.output
    verdict = json.loads(
        (tmp_path / "reports" / "evaluation" / stored[1] / "verdict.json").read_text()
    )
    assert (verdict["model"], verdict["baseline"]) == ("al_digits_cnn", stored[0])
    assert verdict["rows"] == len(split[3]), "not judged on the active-learning pools' split"
