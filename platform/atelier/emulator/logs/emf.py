"""Embedded Metric Format (CloudWatch User Guide, "Specification: Embedded metric format"):
a JSON log event with ``_aws.CloudWatchMetrics`` becomes one datapoint per metric and per
dimension set, valued from the event's top-level member of the metric's name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    metric: str
    dimensions: dict[str, str]
    values: tuple[float, ...]
    unit: str
    timestamp: float  # seconds


def parse(message: str, fallback_ts: float) -> list[Datapoint]:
    """The datapoints of one EMF event; [] when the event is not (valid) EMF."""
    if '"_aws"' not in message:
        return []
    try:
        doc = json.loads(message)
    except ValueError:
        return []
    aws = doc.get("_aws") if isinstance(doc, dict) else None
    if not isinstance(aws, dict) or not isinstance(aws.get("CloudWatchMetrics"), list):
        return []
    ts = aws.get("Timestamp")
    timestamp = float(ts) / 1000.0 if isinstance(ts, (int, float)) else fallback_ts
    out = []
    for directive in aws["CloudWatchMetrics"]:
        out.extend(_directive(doc, directive, timestamp))
    return out


def _values(raw: Any) -> tuple[float, ...]:
    items = raw if isinstance(raw, list) else [raw]
    vals = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return ()
        vals.append(float(item))
    return tuple(vals)


def _directive(doc: dict[str, Any], directive: Any, timestamp: float) -> list[Datapoint]:
    if not isinstance(directive, dict) or not isinstance(directive.get("Namespace"), str):
        return []
    dim_sets = directive.get("Dimensions") or [[]]
    out = []
    for metric in directive.get("Metrics") or []:
        name = metric.get("Name") if isinstance(metric, dict) else None
        if not isinstance(name, str) or name not in doc:
            continue
        values = _values(doc[name])
        if not values:
            continue
        for dim_set in dim_sets:
            if not isinstance(dim_set, list) or any(
                not isinstance(doc.get(k), str) for k in dim_set
            ):
                continue
            dims = {k: doc[k] for k in dim_set}
            out.append(
                Datapoint(
                    directive["Namespace"],
                    name,
                    dims,
                    values,
                    metric.get("Unit") or "None",
                    timestamp,
                )
            )
    return out
