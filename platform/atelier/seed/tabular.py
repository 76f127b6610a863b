"""The ``features`` table: scikit-learn's breast-cancer records under string ids 1500..2068."""

from __future__ import annotations

import json
from typing import Any


def db_conninfo(secret_arn: str) -> dict[str, Any]:
    """Connection parameters from the DB secret (the same reader the service uses)."""
    from ml_common.aws import client
    from structured_data.db import conninfo_from_secret

    value = client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    conninfo: dict[str, Any] = conninfo_from_secret(json.loads(value))
    return conninfo


def seed_features(conninfo: dict[str, Any]) -> dict[str, Any]:
    """Create the tables and upsert every record (idempotent); returns a summary."""
    import psycopg

    from structured_data import db
    from structured_data.features import load_dataset

    data = load_dataset()
    rows = [
        (rid, *(float(v) for v in x), int(t), "test" if held_out else "train")
        for rid, x, t, held_out in zip(data.ids, data.X, data.y, data.test_mask, strict=True)
    ]
    with psycopg.connect(**conninfo) as conn:
        db.ensure_schema(conn, data.columns)
        db.upsert_features(conn, data.columns, rows)
        count_row = conn.execute("SELECT count(*) FROM features").fetchone()
    return {
        "records": int(count_row[0]) if count_row else 0,
        "first_id": data.ids[0],
        "last_id": data.ids[-1],
        "data_hash": data.data_hash,
    }
