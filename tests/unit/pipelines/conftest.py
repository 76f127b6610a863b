"""Fixtures for the pipelines' unit tests.

The pipelines are not part of the ``atelier`` package: in their images they sit in ``/app``
(``ml_common`` and one package each); here they are the workspace's distributions
(``pipelines/*/pyproject.toml``), installed by the noxfile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]

# The machine is shared: one torch thread in tests (the pipelines read TORCH_NUM_THREADS).
os.environ["TORCH_NUM_THREADS"] = "1"
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is in the app extra
    pass


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto's in-process AWS with the buckets and job table the pipelines expect."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "JOBS_TABLE": "atelier-test-jobs",
        "INPUTS_BUCKET": "atelier-test-inputs",
        "RESULTS_BUCKET": "atelier-test-results",
        "MODELS_BUCKET": "atelier-test-models",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("INPUTS_BUCKET", "RESULTS_BUCKET", "MODELS_BUCKET"):
            s3.create_bucket(Bucket=env[bucket])
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=env["JOBS_TABLE"],
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {"s3": s3, "ddb": ddb, **env}


@pytest.fixture
def pending_job(aws: dict[str, Any]) -> Any:
    """A factory that creates a PENDING job, as the lambda does."""

    def create(job_id: str, pipeline: str = "test") -> str:
        _put_pending(aws["ddb"], aws["JOBS_TABLE"], job_id, pipeline)
        return job_id

    return create


def _put_pending(ddb: Any, table: str, job_id: str, pipeline: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={
            "job_id": {"S": job_id},
            "pipeline": {"S": pipeline},
            "status": {"S": "PENDING"},
            "created_at": {"S": "2026-01-01T00:00:00Z"},
        },
    )


os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def quick_digits_model() -> Any:
    """A digits CNN trained briefly (a few seconds): good enough to test the task's plumbing."""
    from non_structured_data_images.train import train

    return train({"epochs": 3, "n_background": 600})


@pytest.fixture(scope="session")
def bomb_png() -> bytes:
    """A ~100 kB PNG that declares 100000 x 100000 pixels (the seed's bad-input sample)."""
    from atelier.seed.bomb import bomb_png as make

    png = make()
    assert len(png) < 200_000
    return png


@pytest.fixture(scope="session")
def pg_secret() -> Iterator[dict[str, Any]]:
    """A real PostgreSQL (pgserver, unix socket) and the DB secret document that reaches it.

    Its data directory is a fresh directory directly under the system temp dir: as root,
    pgserver runs PostgreSQL as its own user, which cannot enter pytest's private tmp tree.
    """
    import shutil
    import tempfile

    import pgserver

    pgdata = tempfile.mkdtemp(prefix="atelier-pg-")
    server = pgserver.get_server(pgdata, cleanup_mode="delete")  # type: ignore[attr-defined]
    yield {
        "host": str(server.pgdata),
        "port": 5432,
        "username": "postgres",
        "password": "",
        "dbname": "postgres",
    }
    server.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)
