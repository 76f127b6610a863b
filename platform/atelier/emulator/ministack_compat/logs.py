"""MiniStack's CloudWatch Logs seen by Atelier: every stored batch (PutLogEvents, Lambda and ECS
task output) reaches the metric-filter pump, and PutMetricFilter refuses a pattern CloudWatch
would refuse."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ministack.core.responses import (
    error_response_json,
    get_account_id,
    get_region,
    json_response,
    new_uuid,
)
from ministack.services import cloudwatch_logs as cwl

from atelier.emulator.logs import insights
from atelier.emulator.logs.patterns import PatternError, compile_pattern

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.responses": (
        "error_response_json",
        "get_account_id",
        "get_region",
        "json_response",
        "new_uuid",
    ),
    "ministack.services.cloudwatch_logs": (
        "_fanout_to_subscription_filters",
        "_put_metric_filter",
        "_metric_filters._data.items",
        "_start_query",
        "_resolve_query_log_groups",
        "_log_groups",
        "_collect_query_records",
        "_queries",
    ),
}
log = logging.getLogger("atelier.logs")
Scope = tuple[str, str]
_original_fanout = cwl._fanout_to_subscription_filters
_original_put_filter = cwl._put_metric_filter


def install(on_events: Callable[[Scope, str, list[dict[str, Any]]], None]) -> None:
    def fanout(group: str, stream: str, events: list[dict[str, Any]], *a: Any, **kw: Any) -> Any:
        try:
            on_events((get_account_id(), get_region()), group, events)
        except Exception:
            log.exception("metric filter hook failed for %s", group)
        return _original_fanout(group, stream, events, *a, **kw)

    cwl._fanout_to_subscription_filters = fanout
    cwl._put_metric_filter = _checked_put_filter
    cwl._start_query = _start_query


def _checked_put_filter(data: dict[str, Any]) -> Any:
    try:
        compile_pattern(data.get("filterPattern", ""))
    except PatternError as exc:
        return error_response_json(
            "InvalidParameterException", f"Invalid metric filter pattern: {exc}", 400
        )
    for tr in data.get("metricTransformations") or []:
        raw = str(tr.get("metricValue", ""))
        if not raw.startswith("$"):
            try:
                float(raw)
            except ValueError:
                return error_response_json(
                    "InvalidParameterException", f"Invalid metric value: {raw!r}", 400
                )
    return _original_put_filter(data)


def filters_for(scope: Scope, group: str) -> list[dict[str, Any]]:
    return [
        f
        for (acct, region, (g, _name)), f in list(cwl._metric_filters._data.items())
        if (acct, region) == scope and g == group
    ]


def _start_query(data: dict[str, Any]) -> Any:
    """StartQuery evaluated by :mod:`atelier.emulator.logs.insights` (MiniStack's subset has no
    stats, parse or JSON fields); results stored where GetQueryResults reads them."""
    groups = cwl._resolve_query_log_groups(data)
    if not groups:
        return error_response_json(
            "InvalidParameterException",
            "logGroupName, logGroupNames, or logGroupIdentifiers is required",
            400,
        )
    for name in groups:
        if name not in cwl._log_groups:
            return error_response_json(
                "ResourceNotFoundException", f"The specified log group does not exist: {name}", 400
            )
    query = data.get("queryString", "")
    scanned = cwl._collect_query_records(groups, data.get("startTime", 0), data.get("endTime", 0))
    rows = [
        insights.record(
            int(r.get("_timestamp_ms", 0)),
            str(r.get("@message", "")),
            str(r.get("@logStream", "")),
            str(r.get("@log", "")),
        )
        for r in scanned
    ]
    try:
        result = insights.run(query, rows)
    except insights.QueryError as exc:
        return error_response_json("MalformedQueryException", f"Query is malformed: {exc}", 400)
    if data.get("limit"):
        result = result[: int(data["limit"])]
    query_id = new_uuid()
    cwl._queries[query_id] = {
        "queryId": query_id,
        "logGroupNames": groups,
        "startTime": data.get("startTime", 0),
        "endTime": data.get("endTime", 0),
        "queryString": query,
        "status": "Complete",
        "results": [
            [{"field": k, "value": "" if v is None else str(v)} for k, v in row.items()]
            for row in result
        ],
        "statistics": {
            "recordsMatched": float(len(result)),
            "recordsScanned": float(len(rows)),
            "bytesScanned": float(sum(len(r["@message"]) for r in rows)),
        },
    }
    return json_response({"queryId": query_id})
