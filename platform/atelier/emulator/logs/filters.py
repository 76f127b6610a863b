"""Log events -> CloudWatch datapoints: the group's metric filters, then EMF.

A metric filter's transformation (``metricValue`` a number or ``$.selector``; ``dimensions``
from ``$.selectors``; ``defaultValue`` published once for a batch in which no event matched)
gives one datapoint per matching event, stamped with the event's time.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from atelier.emulator.logs import emf
from atelier.emulator.logs.patterns import Match, Matcher, PatternError, compile_pattern, is_missing

log = logging.getLogger("atelier.logs")
Scope = tuple[str, str]
_counts = {"filter_datapoints": 0, "emf_datapoints": 0, "events": 0}


def counters() -> dict[str, int]:
    return dict(_counts)


@dataclass(frozen=True)
class Output:
    namespace: str
    metric: str
    dimensions: dict[str, str]
    value: float
    unit: str
    timestamp: float


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Matcher:
    return compile_pattern(pattern)


def _value(match: Match, raw: str) -> float | None:
    raw = str(raw).strip()
    if raw.startswith("$"):
        got = match.field(raw)
        if is_missing(got) or isinstance(got, bool):
            return None
        try:
            return float(got)
        except (TypeError, ValueError):
            return None
    try:
        return float(raw)
    except ValueError:
        return None


def _dimensions(match: Match, spec: dict[str, str] | None) -> dict[str, str] | None:
    out = {}
    for name, raw in (spec or {}).items():
        got = match.field(raw) if str(raw).startswith("$") else raw
        if is_missing(got) or got is None:
            return None  # AWS drops the datapoint when a dimension field is absent
        out[name] = str(got)
    return out


def apply(filters: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[Output]:
    out: list[Output] = []
    for flt in filters:
        try:
            matcher = _compiled(flt.get("filterPattern", ""))
        except PatternError:
            continue
        matched = False
        for event in events:
            match = matcher(str(event.get("message", "")))
            if match is None:
                continue
            matched = True
            ts = float(event.get("timestamp", 0)) / 1000.0
            for tr in flt.get("metricTransformations") or []:
                value = _value(match, tr.get("metricValue", "1"))
                dims = _dimensions(match, tr.get("dimensions"))
                if value is None or dims is None:
                    continue
                out.append(
                    Output(
                        tr["metricNamespace"],
                        tr["metricName"],
                        dims,
                        value,
                        tr.get("unit") or "None",
                        ts,
                    )
                )
        if not matched and events:
            ts = max(float(e.get("timestamp", 0)) for e in events) / 1000.0
            for tr in flt.get("metricTransformations") or []:
                if tr.get("defaultValue") is not None and not tr.get("dimensions"):
                    out.append(
                        Output(
                            tr["metricNamespace"],
                            tr["metricName"],
                            {},
                            float(tr["defaultValue"]),
                            tr.get("unit") or "None",
                            ts,
                        )
                    )
    _counts["filter_datapoints"] += len(out)
    for event in events:
        for dp in emf.parse(
            str(event.get("message", "")), float(event.get("timestamp", 0)) / 1000.0
        ):
            _counts["emf_datapoints"] += len(dp.values)
            out.extend(
                Output(dp.namespace, dp.metric, dp.dimensions, v, dp.unit, dp.timestamp)
                for v in dp.values
            )
    _counts["events"] += len(events)
    return out


class FilterPump:
    """Log batches queued by the Logs hook, turned into datapoints off the request path."""

    def __init__(
        self,
        filters_for: Callable[[Scope, str], list[dict[str, Any]]],
        publish: Callable[[Scope, Output], None],
        stamp: Callable[[float], float] = lambda ts: ts,
    ) -> None:
        self.filters_for, self.publish, self.stamp = filters_for, publish, stamp
        self.queue: deque[tuple[Scope, str, list[dict[str, Any]]]] = deque(maxlen=100_000)
        self.wake = threading.Event()

    def offer(self, scope: Scope, group: str, events: list[dict[str, Any]]) -> None:
        self.queue.append((scope, group, list(events)))
        self.wake.set()

    def step(self) -> int:
        self.wake.clear()
        published = 0
        while self.queue:
            scope, group, events = self.queue.popleft()
            try:
                for dp in apply(self.filters_for(scope, group), events):
                    stamped = Output(
                        dp.namespace,
                        dp.metric,
                        dp.dimensions,
                        dp.value,
                        dp.unit,
                        self.stamp(dp.timestamp),
                    )
                    self.publish(scope, stamped)
                    published += 1
            except Exception:
                log.exception("metric filters on %s failed", group)
        return published
