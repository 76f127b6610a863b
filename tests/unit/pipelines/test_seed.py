"""`atelier seed` against moto and a real PostgreSQL: content, seed.json and idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from atelier.seed import run_seed
from atelier.seed.targets import SeedTargets
from ml_common.model_store import list_versions, load_model


@pytest.fixture
def targets(aws: dict[str, Any], pg_secret: dict[str, Any], tmp_path: Path) -> SeedTargets:
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="atelier-test-db", SecretString=json.dumps(pg_secret)
    )["ARN"]
    return SeedTargets(
        endpoint_url=None,
        region="us-east-1",
        inputs_bucket=aws["INPUTS_BUCKET"],
        models_bucket=aws["MODELS_BUCKET"],
        db_secret_arn=arn,
        home=tmp_path,
    )


def _objects(aws: dict[str, Any]) -> dict[str, str]:
    pages = aws["s3"].get_paginator("list_objects_v2").paginate(Bucket=aws["INPUTS_BUCKET"])
    return {o["Key"]: o["LastModified"] for page in pages for o in page.get("Contents", [])}


@pytest.mark.slow  # starts PostgreSQL
def test_seed_data_is_complete_and_idempotent(
    aws: dict[str, Any], targets: SeedTargets, pg_secret: dict[str, Any]
) -> None:
    info = run_seed(targets, models=False)
    assert info["dataset_ids"] == ["1914", "1918", "1939"]
    assert info["image_link"] == f"s3://{aws['INPUTS_BUCKET']}/images/composite-0.png"
    assert json.loads((targets.home / "seed.json").read_text()) == info
    assert info["records"]["records"] == 569 and info["records"]["first_id"] == "1500"

    objects = _objects(aws)
    for dataset_id in info["dataset_ids"]:
        manifest = json.loads(
            aws["s3"]
            .get_object(Bucket=aws["INPUTS_BUCKET"], Key=f"pools/{dataset_id}/manifest.json")[
                "Body"
            ]
            .read()
        )
        assert len(manifest["items"]) in (599, 599, 599) or len(manifest["items"]) == 600
        assert all(item["key"] in objects for item in manifest["items"])
    all_ids = [
        i["id"]
        for d in info["dataset_ids"]
        for i in json.loads(
            aws["s3"]
            .get_object(Bucket=aws["INPUTS_BUCKET"], Key=f"pools/{d}/manifest.json")["Body"]
            .read()
        )["items"]
    ]
    assert len(all_ids) == len(set(all_ids)) == 1797

    conninfo = {"host": pg_secret["host"], "port": 5432, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM features").fetchone() == (569,)
        row = conn.execute("SELECT id, split FROM features WHERE id = %s", ("1789",)).fetchone()
        assert row is not None and row[1] in ("train", "test")

    again = run_seed(targets, models=False)
    assert again == info
    assert _objects(aws) == objects  # nothing rewritten
    with psycopg.connect(**conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM features").fetchone() == (569,)


@pytest.mark.slow
def test_seed_trains_and_stores_the_three_models_once(
    aws: dict[str, Any], targets: SeedTargets
) -> None:
    info = run_seed(targets, database=False)
    models = info["models"]
    assert models["structured_data"]["metrics"]["roc_auc"] >= 0.98
    assert models["digits_cnn"]["metrics"]["accuracy"] >= 0.97
    assert models["al_digits_cnn"]["stage"] == "candidate"
    bucket = aws["MODELS_BUCKET"]
    assert load_model(bucket, "structured_data").version == models["structured_data"]["version"]
    assert load_model(bucket, "digits_cnn").metadata["code_version"].startswith("src-")

    again = run_seed(targets, database=False)
    assert all(not m["trained"] for m in again["models"].values())
    assert {len(list_versions(bucket, name)) for name in models} == {1}
