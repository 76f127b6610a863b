"""``python -m structured_data.drift_job``: the scheduled drift check (an EventBridge schedule
runs it as an ECS task of the structured_data image).

Reference: the ``features`` rows of the training split, and their target as the reference
prediction distribution. Current: the features of the records predicted in the last
``DRIFT_WINDOW_HOURS`` (default 24) and those predictions. Publishes ``Atelier/Drift``
(``DriftShare``, ``DriftedColumns``, ``CurrentRows``), writes the HTML report to
``s3://$ARTIFACTS_BUCKET/drift/<UTC time>/index.html`` (and ``drift/latest.html``, with its
summary in ``drift/latest.json``), and logs one
JSON line (``{"event": "drift_check", ...}``).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import numpy as np
from psycopg import sql

from ml_common.aws import client
from structured_data.db import PostgresRepository, conninfo_from_secret_arn
from structured_data.drift import DriftResult, compare, metric_data
from structured_data.drift_report import render

NAMESPACE = "Atelier/Drift"
MIN_CURRENT_ROWS = 30


def _columns(conn: Any) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'features' "
        "AND data_type = 'double precision' ORDER BY ordinal_position"
    ).fetchall()
    return [r[0] for r in rows]


def load(
    repo: PostgresRepository, window_hours: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    with repo.connect() as conn:
        cols = _columns(conn)
        picked = sql.SQL(", ").join(sql.SQL("f.{}").format(sql.Identifier(c)) for c in cols)
        ref_rows = conn.execute(
            sql.SQL("SELECT {}, f.target FROM features f WHERE f.split = 'train'").format(picked)
        ).fetchall()
        cur_rows = conn.execute(
            sql.SQL(
                "SELECT {}, p.prediction FROM predictions p JOIN features f ON f.id = p.id "
                "WHERE p.created_at > now() - make_interval(secs => %s)"
            ).format(picked),
            (window_hours * 3600,),
        ).fetchall()
    names = [*cols, "prediction"]
    ref = np.asarray(ref_rows, dtype=float).reshape(-1, len(names))
    cur = np.asarray(cur_rows, dtype=float).reshape(-1, len(names))
    return {n: ref[:, i] for i, n in enumerate(names)}, {n: cur[:, i] for i, n in enumerate(names)}


def publish(
    result: DriftResult, reference: dict[str, np.ndarray], current: dict[str, np.ndarray]
) -> str | None:
    client("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=metric_data(result))
    bucket = os.environ.get("ARTIFACTS_BUCKET")
    if not bucket:
        return None
    page = render(result, reference, current).encode()
    key = f"drift/{datetime.now(UTC).strftime('%Y-%m-%dT%H%M%SZ')}/index.html"
    s3 = client("s3")
    for k in (key, "drift/latest.html"):
        s3.put_object(Bucket=bucket, Key=k, Body=page, ContentType="text/html; charset=utf-8")
    summary = {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "share": result.share,
        "drifted": list(result.drifted),
        "current_rows": result.current_rows,
        "report_key": key,
    }
    s3.put_object(  # what GET /operations shows (lambda_shared.operations)
        Bucket=bucket, Key="drift/latest.json", Body=json.dumps(summary).encode(),
        ContentType="application/json",
    )  # fmt: skip
    return f"s3://{bucket}/{key}"


def main() -> int:
    repo = PostgresRepository(conninfo_from_secret_arn(os.environ["DB_SECRET_ARN"]))
    reference, current = load(repo, float(os.environ.get("DRIFT_WINDOW_HOURS", "24")))
    rows = len(current["prediction"])
    if rows < MIN_CURRENT_ROWS:
        print(
            json.dumps(
                {
                    "event": "drift_check",
                    "status": "skipped",
                    "current_rows": rows,
                    "reason": f"fewer than {MIN_CURRENT_ROWS} predictions in the window",
                }
            )
        )
        return 0
    result = compare(reference, current)
    report = publish(result, reference, current)
    print(
        json.dumps(
            {
                "event": "drift_check",
                "status": "done",
                "share": result.share,
                "drifted": result.drifted,
                "current_rows": rows,
                "report": report,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
