"""``GET /operations``: what ``atelier alerts`` shows in a terminal, for the frontend.

The environment's alarms (DescribeAlarms, names ``atelier-<env>-*``), the canary's last minutes
(``Atelier/Canary``: Success, WrongAnswers, Latency; lambdas/canary publishes them) and the
last drift check (``drift/latest.json`` of the artifacts bucket, written by
``structured_data.drift_job``, with a presigned link to its HTML report).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lambda_shared import settings
from lambda_shared.aws import client, signing_s3
from lambda_shared.errors import BadRequest

CANARY_NAMESPACE = "Atelier/Canary"
DRIFT_SUMMARY = "drift/latest.json"
DEFAULT_MINUTES, MAX_MINUTES = 30, 180
# metric -> (statistic, answer field)
_CANARY = {"Success": ("Minimum", "success"), "WrongAnswers": ("Sum", "wrong_answers"),
           "Latency": ("Average", "latency_ms")}  # fmt: skip


def minutes_param(query: Mapping[str, str] | None) -> int:
    raw = (query or {}).get("minutes")
    if raw is None:
        return DEFAULT_MINUTES
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_MINUTES:
        raise BadRequest(f"minutes must be a whole number from 1 to {MAX_MINUTES}", field="minutes")
    return int(raw)


def alarms(prefix: str) -> list[dict[str, Any]]:
    """The environment's metric alarms: name, state, reason, when the state last changed."""
    rows: list[dict[str, Any]] = []
    pages = client("cloudwatch").get_paginator("describe_alarms")
    for page in pages.paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"]):
        for a in page["MetricAlarms"]:
            updated = a.get("StateUpdatedTimestamp")
            rows.append(
                {
                    "name": a["AlarmName"],
                    "state": a["StateValue"],
                    "reason": a.get("StateReason", ""),
                    "updated": updated.isoformat() if isinstance(updated, datetime) else None,
                    "metric": f"{a.get('Namespace')}/{a.get('MetricName')}",
                    "notifies": bool(a.get("ActionsEnabled", True)),
                }
            )
    return sorted(rows, key=lambda r: (r["state"] != "ALARM", r["name"]))


def canary(minutes: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per minute the canary ran in the last ``minutes``, oldest first."""
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {"Namespace": CANARY_NAMESPACE, "MetricName": metric},
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for i, (metric, (stat, _)) in enumerate(_CANARY.items())
    ]
    got = client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=end - timedelta(minutes=minutes), EndTime=end
    )
    fields = {f"m{i}": name for i, (_, name) in enumerate(_CANARY.values())}
    by_minute: dict[datetime, dict[str, Any]] = {}
    for result in got["MetricDataResults"]:
        name = fields[result["Id"]]
        for stamp, value in zip(result["Timestamps"], result["Values"], strict=True):
            row = by_minute.setdefault(stamp, {"minute": stamp.isoformat()})
            row[name] = value
    rows = []
    for stamp in sorted(by_minute):
        row = by_minute[stamp]
        if "success" not in row:  # a minute without a Success datapoint is not a run
            continue
        rows.append(
            {
                "minute": row["minute"],
                "success": row["success"] >= 1,
                "wrong_answers": int(row.get("wrong_answers", 0)),
                "latency_ms": row.get("latency_ms"),
            }
        )
    return rows


def drift(bucket: str, url_seconds: int) -> dict[str, Any] | None:
    """The last drift check's summary, ``None`` before the first one. Listed first: without
    an unconditioned s3:ListBucket, S3 answers a missing key 403, not 404."""
    s3 = client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=DRIFT_SUMMARY, MaxKeys=1)
    if not any(o["Key"] == DRIFT_SUMMARY for o in listed.get("Contents", [])):
        return None
    body = s3.get_object(Bucket=bucket, Key=DRIFT_SUMMARY)["Body"].read()
    summary = json.loads(body)
    key = summary.get("report_key")
    url = None
    if isinstance(key, str) and key.startswith("drift/"):
        url = signing_s3().generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=url_seconds
        )
    return {
        "checked_at": summary.get("checked_at"),
        "share": float(summary["share"]),
        "drifted": [str(c) for c in summary.get("drifted", [])],
        "current_rows": summary.get("current_rows"),
        "report_url": url,
    }


def operations(query: Mapping[str, str] | None) -> dict[str, Any]:
    minutes = minutes_param(query)
    conf = settings.operations_settings()
    return {
        "environment": conf.atelier_env,
        "minutes": minutes,
        "alarms": alarms(f"atelier-{conf.atelier_env}-"),
        "canary": canary(minutes),
        "drift": drift(conf.artifacts_bucket, conf.report_url_seconds),
    }
