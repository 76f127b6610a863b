"""The scheduled drift check against a real PostgreSQL (pgserver): the training split as the
reference, the recently predicted records as the current data; metrics and the HTML report
land in (moto's) CloudWatch and S3."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from structured_data import db, drift_job
from structured_data.features import load_dataset


@pytest.fixture(scope="module")
def database(pg_secret: dict[str, Any]) -> dict[str, Any]:
    info = db.conninfo_from_secret(pg_secret)
    data = load_dataset()
    with psycopg.connect(**info) as conn:
        db.ensure_schema(conn, data.columns)
        rows = [
            (rid, *map(float, x), int(t), "test" if m else "train")
            for rid, x, t, m in zip(data.ids, data.X, data.y, data.test_mask, strict=True)
        ]
        db.upsert_features(conn, data.columns, rows)
        conn.execute("DELETE FROM predictions")
        # the 120 records with the largest mean_radius were predicted today: a shifted population
        biggest = conn.execute(
            "SELECT id FROM features ORDER BY mean_radius DESC LIMIT 120"
        ).fetchall()
        for (rid,) in biggest:
            conn.execute(
                "INSERT INTO predictions (id, prediction, label, probability, model_version, "
                "latency_ms, created_at) VALUES (%s, 0, 'malignant', 0.9, 'v1', 3.0, %s)",
                (rid, datetime.now(UTC)),
            )
    return {"info": info, "columns": data.columns}


def test_reference_and_current_come_from_postgres(database: dict[str, Any]) -> None:
    reference, current = drift_job.load(db.PostgresRepository(database["info"]), 24)
    assert set(reference) == {*database["columns"], "prediction"}
    assert len(current["prediction"]) == 120 and len(reference["prediction"]) > 300
    assert set(current["prediction"]) == {0.0}


def test_shifted_population_is_drift_with_report_and_metrics(
    database: dict[str, Any],
    aws: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    pg_secret: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sm = aws["s3"]  # moto is active; the job reads its DB secret from Secrets Manager
    import boto3

    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.create_secret(Name="db", SecretString=json.dumps(pg_secret))["ARN"]
    sm.create_bucket(Bucket="atelier-test-artifacts")
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    monkeypatch.setenv("ARTIFACTS_BUCKET", "atelier-test-artifacts")
    assert drift_job.main() == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "drift_check" and line["status"] == "done"
    assert "mean_radius" in line["drifted"] and "prediction" in line["drifted"]
    page = sm.get_object(Bucket="atelier-test-artifacts", Key="drift/latest.html")["Body"].read()
    assert b"<svg" in page and b"mean_radius" in page
    # the summary GET /operations reads (lambda_shared.operations): same result, its report
    raw = sm.get_object(Bucket="atelier-test-artifacts", Key="drift/latest.json")["Body"].read()
    summary = json.loads(raw)
    assert summary["share"] == line["share"] and summary["drifted"] == line["drifted"]
    assert line["report"] == f"s3://atelier-test-artifacts/{summary['report_key']}"
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="Atelier/Drift")["Metrics"]}
    assert names == {"DriftShare", "DriftedColumns", "CurrentRows"}
