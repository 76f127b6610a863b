"""Classify one AWS request for the meter from its headers (the middleware's one-line hook)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, MutableMapping
from typing import Any

from atelier.emulator.meter.core import METER, Meter

_SCOPE = re.compile(rb"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
# the REST API's id, from any of the three ways the runtime is addressed
_API_ID = (
    re.compile(r"^([a-z0-9]+)\.execute-api\."),
    re.compile(r"^/_aws/execute-api/([a-z0-9]+)/"),
    re.compile(r"^/restapis/([a-z0-9]+)/[^/]+/_user_request_/"),
)


def api_id_of(host: str, path: str) -> str | None:
    """The API id a request to API Gateway is for (``None`` if it names none)."""
    for pattern, text in zip(_API_ID, (host, path, path), strict=True):
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


DDB_PREFIX = "DynamoDB_20120810."
DDB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
DDB_READS = frozenset({"GetItem", "Query", "Scan"})
DDB_BATCH = frozenset({"BatchWriteItem", "TransactWriteItems", "BatchGetItem", "TransactGetItems"})


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    return {bytes(k).lower(): bytes(v) for k, v in raw}


def observe(scope: MutableMapping[str, Any], meter: Meter = METER) -> None:
    """Count API Gateway calls, S3 requests and bytes, DynamoDB request units, alarms."""
    headers = _headers(scope.get("headers") or [])
    path = str(scope.get("path", ""))
    host = headers.get(b"host", b"").decode("latin-1")
    method = str(scope.get("method", "GET"))
    length = int(headers.get(b"content-length", b"0") or 0)
    if (
        ".execute-api." in host
        or path.startswith("/_aws/execute-api/")
        or "/_user_request_/" in path
    ):
        if method != "OPTIONS":
            meter.count("apigateway.requests")
            api_id = api_id_of(host, path)
            if api_id:  # per API too, so a reading can keep to one deployment's API
                meter.count(f"apigateway.requests@{api_id}")
        return
    target = headers.get(b"x-amz-target", b"").decode("latin-1")
    if target.startswith(DDB_PREFIX):
        op = target[len(DDB_PREFIX) :]
        if op in DDB_WRITES:
            meter.count("dynamodb.writes", max(1, math.ceil(length / 1024)))
        elif op in DDB_READS:
            meter.count("dynamodb.reads", max(1, math.ceil(length / 4096)))
        elif op in DDB_BATCH:
            meter.count("dynamodb.writes" if "Write" in op else "dynamodb.reads", 1)
        return
    match = _SCOPE.search(headers.get(b"authorization", b""))
    service = match.group(1).decode() if match else ""
    if service == "s3":
        if method in ("PUT", "POST", "COPY", "LIST"):
            meter.count("s3.puts")
            meter.count("s3.bytes_in", length)
        elif method in ("GET", "HEAD"):
            meter.count("s3.gets")
    elif service == "monitoring" and target.endswith("PutMetricAlarm"):
        meter.count("cloudwatch.put_metric_alarm")
