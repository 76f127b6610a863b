"""The runtime's meter snapshot as :class:`~atelier.cost.usage.Usage`, projected to a month.

What the meter sees is counted; what it cannot see (NAT, ALB, RDS instance, KMS, Secrets
Manager, ECR, CloudFront, WAF, stored GB) is priced from the topology exactly as the estimate
does, and marked so. The meter's span is scaled to a month (730 h) with its clock: in a replay
one real second stands for ``clock`` simulated seconds.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from atelier.cost.estimate import GPU_SCALE_IN_MINUTES, KB_PER_GB, Estimate, usage_of
from atelier.cost.prices import CostError, PriceTable
from atelier.cost.profile import EnvProfile
from atelier.cost.usage import Usage, price
from atelier.topology.workload import HOURS_PER_MONTH

# Items the meter counts; every other item comes from the topology.
METERED_ITEMS = frozenset(
    {
        "fargate.vcpu_hours", "fargate.gb_hours", "ec2.on_demand_hours", "ec2.spot_hours",
        "ebs.gb_months", "lambda.requests", "lambda.gb_seconds", "apigateway.requests",
        "dynamodb.writes", "dynamodb.reads", "s3.puts", "s3.gets", "logs.ingest_gb",
        "synthetics.runs",
    }
)  # fmt: skip
METERED_SERVICES = ("Fargate", "EC2 GPU", "Lambda", "API Gateway", "DynamoDB", "S3",
                    "CloudWatch Logs", "Synthetics")  # fmt: skip


def fetch(endpoint: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET (or POST ``body`` to) the runtime's ``/_atelier/meter``."""
    url = endpoint.rstrip("/") + "/_atelier/meter"
    if not url.startswith(("http://", "https://")):
        raise CostError(f"--endpoint: not an http(s) URL: {endpoint}")
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - checked above
            value = json.loads(resp.read())
    except OSError as exc:
        raise CostError(f"--endpoint: the runtime at {endpoint} does not answer: {exc}") from None
    if not isinstance(value, dict):
        raise CostError(f"{url}: not a meter snapshot")
    return value


def _pipeline_of(family: str, p: EnvProfile) -> str | None:
    for name in p.topology.pipelines:
        if family.endswith("-" + name) or family == name:
            return name
    return None


def _lambda_of(function: str, p: EnvProfile) -> str | None:
    for name in sorted(p.topology.lambdas, key=len, reverse=True):
        if function.endswith("-" + name) or function == name:
            return name
    return None


@dataclass(frozen=True)
class Scope:
    """One deployment inside a shared runtime: its names' prefix and its REST API's id.

    A runtime may hold several deployments (the test suite's, a developer's); a reading scoped
    to one counts only that deployment's tasks, functions and API requests."""

    prefix: str
    api_id: str | None = None

    def owns(self, name: str) -> bool:
        return name.startswith(self.prefix)


@dataclass(frozen=True)
class Metered:
    usage: Usage
    span_hours: float
    notes: list[str]


def usage_from_snapshot(
    snap: dict[str, Any],
    p: EnvProfile,
    billed_lambda_ms: dict[str, float] | None = None,
    extra_counts: dict[str, float] | None = None,
    scope: Scope | None = None,
) -> Metered:
    """Monthly usage from a snapshot: metered items scaled by 730 h / span, the rest modelled.

    ``billed_lambda_ms`` (replay): bill these functions at the profile's duration, not the
    laptop's; ``extra_counts``: counts the driver made that the runtime cannot meter
    (Synthetics runs: the canary is AWS-only); ``scope``: count only this deployment."""
    span_h = float(snap.get("simulated_seconds") or 0) / 3600
    if span_h <= 0:
        raise CostError("the meter has no elapsed time yet")
    scale = HOURS_PER_MONTH / span_h
    usage = Usage()
    notes = [f"metered span {span_h:.2f} simulated h, scaled x{scale:.2f} to 730 h"]
    services = p.topology.environments[p.env].sizes.services
    tasks = [t for t in snap.get("tasks", []) if scope is None or scope.owns(str(t.get("family")))]
    for task in tasks:
        pipe = _pipeline_of(str(task.get("family", "")), p)
        if pipe is None:
            continue
        kind = p.pipeline(pipe).kind
        seconds = float(task["billed_seconds"])
        if kind == "service":
            local = max(
                1,
                sum(1 for t in tasks if _pipeline_of(t["family"], p) == pipe and t["running"]),
            )
            copies = services[pipe].desired / local if pipe in services else 1.0
            seconds *= copies
        if kind == "gpu_task":
            hours = (seconds / 3600 + GPU_SCALE_IN_MINUTES / 60) * scale
            item = "ec2.spot_hours" if p.whatif.gpu_spot else "ec2.on_demand_hours"
            usage.add(
                item,
                pipe,
                hours,
                f"metered {seconds / 3600:.2f} h + scale-in",
                param=p.gpu_instance_type,
            )
            usage.add(
                "ebs.gb_months",
                pipe,
                hours / HOURS_PER_MONTH * p.gpu_root_volume_gb,
                "metered GPU hours",
            )
            continue
        hours = max(seconds, 60.0) / 3600 * scale
        usage.add(
            "fargate.vcpu_hours", pipe, hours * float(task["vcpu"]), f"metered {task['family']}"
        )
        usage.add(
            "fargate.gb_hours", pipe, hours * float(task["memory_gb"]), f"metered {task['family']}"
        )
    canary_runs = 0.0
    for function, entry in (snap.get("lambda") or {}).items():
        if scope is not None and not scope.owns(function):
            continue
        if "canary" in function:  # a local canary runs as a Lambda: one Synthetics run each
            canary_runs += float(entry["invocations"])
            continue
        name = _lambda_of(function, p)
        pipe = name or function
        n = float(entry["invocations"])
        ms = float(entry["duration_ms"]) / max(n, 1)
        if billed_lambda_ms and name in billed_lambda_ms:
            ms = billed_lambda_ms[name]
        mem = float(p.topology.lambdas[name].memory if name else entry.get("memory_mb", 128))
        usage.add("lambda.requests", pipe, n * scale, f"metered {function}")
        usage.add(
            "lambda.gb_seconds", pipe, n * ms / 1000 * mem / 1024 * scale, f"{n:.0f} x {ms:.0f} ms"
        )
    counters = dict(snap.get("counters") or {})
    if scope is not None and scope.api_id:
        counters["apigateway.requests"] = counters.get(f"apigateway.requests@{scope.api_id}", 0)
    counters["synthetics.runs"] = counters.get("synthetics.runs", 0) + canary_runs
    for key, value in (extra_counts or {}).items():
        counters[key] = counters.get(key, 0) + value
    for key, item in (
        ("apigateway.requests", "apigateway.requests"),
        ("dynamodb.writes", "dynamodb.writes"),
        ("dynamodb.reads", "dynamodb.reads"),
        ("s3.puts", "s3.puts"),
        ("s3.gets", "s3.gets"),
        ("synthetics.runs", "synthetics.runs"),
    ):
        usage.add(item, "metered", float(counters.get(key, 0)) * scale, f"metered {key}")
    logs_gb = float(counters.get("logs.bytes", 0)) / (KB_PER_GB * 1024) * scale
    usage.add("logs.ingest_gb", "metered", logs_gb, "metered log bytes")
    stored = float(counters.get("s3.bytes_in", 0)) / (KB_PER_GB * 1024) * scale
    usage.add("s3.gb_months", "metered", stored, "metered uploads kept a month")
    modelled, _ = usage_of(p)
    for q in modelled.quantities:
        if q.item in METERED_ITEMS or (q.item == "s3.gb_months" and q.pipeline != "shared"):
            continue
        if q.item == "logs.gb_months":
            retention = p.topology.environments[p.env].sizes.log_retention_days
            usage.add(
                q.item,
                "shared",
                logs_gb * min(retention / 30.4, 12.0),
                "metered ingest x retention",
            )
            continue
        usage.quantities.append(q)
    alarms = len(snap.get("alarms") or [])
    notes.append(f"{alarms} alarms defined in the runtime; alarms priced from topology.yaml")
    return Metered(usage, span_h, notes)


def price_metered(m: Metered, p: EnvProfile, prices: PriceTable) -> Estimate:
    return Estimate(p.env, p.region, price(m.usage, prices, p.region), m.notes)
