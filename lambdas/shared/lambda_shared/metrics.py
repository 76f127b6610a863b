"""Per-route and per-pipeline latency and outcome, as CloudWatch Embedded Metric Format
(powertools ``Metrics``): one EMF line per request in the function's log, which CloudWatch (and
the runtime's Logs, ``atelier.emulator.logs.emf``) turns into datapoints of ``Atelier/Api``.

Metrics: ``Latency`` (milliseconds, the handler's time) and ``Requests`` (1). Dimension sets:
``[Environment, Route]`` (the p99-per-route alarms), ``[Environment, Route, StatusClass]``
(``2xx``/``4xx``/``5xx``: Sum of Requests is the count per class) and, for a route that serves a
pipeline, ``[Environment, Pipeline]``. ``Route`` is API Gateway's resource template
(``/jobs/{job_id}``, never the concrete path), so the dimension's values stay few.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Atelier/Api"
metrics = Metrics(namespace=NAMESPACE)


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "5xx"


def route_of(event: dict[str, Any]) -> str:
    resource = event.get("resource") if isinstance(event, dict) else None
    return resource if isinstance(resource, str) and resource else "unknown"


def record(event: dict[str, Any], status: int, elapsed_ms: float, pipeline: str | None) -> None:
    """Print one EMF document for this request (the Lambda log is the transport)."""
    environment = os.environ.get("ATELIER_ENV") or "unknown"
    route = route_of(event)
    metrics.add_dimension(name="Environment", value=environment)
    metrics.add_dimension(name="Route", value=route)
    metrics.add_dimensions(Environment=environment, Route=route, StatusClass=status_class(status))
    if pipeline:
        metrics.add_dimensions(Environment=environment, Pipeline=pipeline)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
