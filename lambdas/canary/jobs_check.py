"""Jobs RUNNING longer than their pipeline allows (``max_runtime_minutes`` in topology.yaml):
counted from the jobs table and published as ``Atelier/Jobs JobsOverdue`` (the jobs_overdue
alarm). Run by the canary Lambda each minute when ``JOBS_TABLE`` and ``JOB_LIMITS``
(``{"pipeline": minutes}``) are set."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NAMESPACE = "Atelier/Jobs"


def overdue(items: list[dict[str, Any]], limits: dict[str, int], now: datetime) -> list[str]:
    late = []
    for item in items:
        limit = limits.get(str(item.get("pipeline")))
        started = item.get("started_at")
        if item.get("status") != "RUNNING" or not limit or not started:
            continue
        began = datetime.fromisoformat(str(started).replace("Z", "+00:00"))
        if began.tzinfo is None:
            began = began.replace(tzinfo=UTC)
        if (now - began).total_seconds() > limit * 60:
            late.append(str(item.get("job_id")))
    return late


def running_jobs(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items, kwargs = (
        [],
        {
            "TableName": table,
            "FilterExpression": "#s = :running",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":running": {"S": "RUNNING"}},
        },
    )
    while True:
        page = dynamodb.scan(**kwargs)
        for raw in page.get("Items", []):
            items.append({k: next(iter(v.values())) for k, v in raw.items()})
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def publish(cloudwatch: Any, late: list[str]) -> None:
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[{"MetricName": "JobsOverdue", "Value": float(len(late)), "Unit": "Count"}],
    )
