"""The monthly usage of one environment, from its profile: every quantity with its formula.

Conventions: a month is 730 hours; KB and GB are binary (1 KB = 1024 bytes, 1 GB = 1024^3
bytes, as AWS bills); Fargate bills each task at least one minute; API Gateway caches the
authorizer's answer 300 s (terraform/modules/api), so one caller costs at most 12 authorizer
calls an hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from atelier.cost.prices import PriceTable
from atelier.cost.profile import EnvProfile
from atelier.cost.usage import Line, Usage, price
from atelier.topology.workload import DAYS_PER_MONTH, HOURS_PER_MONTH

KB_PER_GB = 1024.0 * 1024.0
AUTHORIZER_MS = 20.0
AUTH_MS = 60.0
CANARY_LOG_KB = 2.0
CANARY_PUTS = 2  # Synthetics stores each run's log and report in S3
GPU_SCALE_IN_MINUTES = 15.0  # the capacity provider keeps the instance this long after a run
SHARED = "shared"


@dataclass(frozen=True)
class Estimate:
    env: str
    region: str
    lines: list[Line]
    assumptions: list[str]

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)


def _lambda_gb(memory_mb: int) -> float:
    return memory_mb / 1024.0


def _stream_usage(p: EnvProfile, usage: Usage) -> float:
    """Requests of every stream; returns the user-facing request count (for KMS and WAF)."""
    top = p.topology
    authorizer = next(fn for fn in top.lambdas.values() if fn.authorizer)
    jobs = top.lambdas.get("jobs")
    total_requests = 0.0
    for s in p.streams:
        n = s.per_month
        if not n:
            continue
        fn = top.lambdas[s.name]
        spec = s.spec
        pipe = fn.runs or fn.calls or s.name
        polls = n * spec.job_polls
        calls = n + polls
        total_requests += calls
        share = f" x {s.traffic_share:.3f} active days" if s.traffic_share < 1 else ""
        rate = f"{s.per_hour:g}/h x {s.window.hours_per_month:.1f} h{share}" if s.per_hour else ""
        extra = f"{s.per_month_extra:g}/month" if s.per_month_extra else ""
        how = " + ".join(x for x in (rate, extra) if x)
        usage.add(
            "apigateway.requests", pipe, calls, f"{n:.0f} requests ({how}) + {polls:.0f} job polls"
        )
        usage.add("lambda.requests", pipe, n, f"{n:.0f} invocations of {s.name}")
        usage.add(
            "lambda.gb_seconds",
            pipe,
            n * spec.lambda_ms / 1000 * _lambda_gb(fn.memory),
            f"{n:.0f} x {spec.lambda_ms:g} ms x {fn.memory} MB",
        )
        if fn.authorized:
            hours = s.window.hours_per_month * s.traffic_share if s.per_hour else n
            auth_calls = min(calls, 12.0 * hours)
            usage.add(
                "lambda.requests",
                pipe,
                auth_calls,
                f"min({calls:.0f}, 12/h x {hours:.0f} h) authorizer calls",
                "authorizer result cached 300 s",
            )
            usage.add(
                "lambda.gb_seconds",
                pipe,
                auth_calls * AUTHORIZER_MS / 1000 * _lambda_gb(authorizer.memory),
                f"{auth_calls:.0f} x {AUTHORIZER_MS:g} ms x {authorizer.memory} MB",
            )
        if polls and jobs is not None:
            usage.add("lambda.requests", pipe, polls, f"{polls:.0f} GET /jobs polls")
            usage.add(
                "lambda.gb_seconds",
                pipe,
                polls * 0.05 * _lambda_gb(jobs.memory),
                f"{polls:.0f} x 50 ms x {jobs.memory} MB",
            )
            usage.add("dynamodb.reads", pipe, polls, f"{polls:.0f} polls x 1 read unit")
        usage.add(
            "dynamodb.writes",
            pipe,
            n * spec.dynamodb_writes,
            f"{n:.0f} x {spec.dynamodb_writes} write units",
        )
        usage.add(
            "dynamodb.reads",
            pipe,
            n * spec.dynamodb_reads,
            f"{n:.0f} x {spec.dynamodb_reads} read units",
        )
        usage.add("s3.puts", pipe, n * spec.s3_puts, f"{n:.0f} x {spec.s3_puts} PUTs")
        usage.add("s3.gets", pipe, n * spec.s3_gets, f"{n:.0f} x {spec.s3_gets} GETs")
        stored = n * (spec.request_kb + spec.result_kb) / KB_PER_GB
        usage.add(
            "s3.gb_months",
            pipe,
            stored,
            f"{n:.0f} x {spec.request_kb + spec.result_kb:g} KB kept a month",
        )
        usage.add(
            "logs.ingest_gb",
            pipe,
            n * spec.log_kb / KB_PER_GB,
            f"{n:.0f} x {spec.log_kb:g} KB",
        )
        if fn.runs and spec.task_minutes:
            _task_usage(p, usage, fn.runs, n, spec.task_minutes)
    return total_requests


def _task_usage(p: EnvProfile, usage: Usage, name: str, runs: float, minutes: float) -> None:
    pipe = p.pipeline(name)
    if pipe.kind == "gpu_task":
        item = "ec2.spot_hours" if p.whatif.gpu_spot else "ec2.on_demand_hours"
        hours = runs * (minutes + GPU_SCALE_IN_MINUTES) / 60
        how = "spot" if p.whatif.gpu_spot else "on demand"
        usage.add(
            item,
            name,
            hours,
            f"{runs:g} runs x ({minutes:g} + {GPU_SCALE_IN_MINUTES:g} min scale-in)",
            f"{p.gpu_instance_type} {how}, ECS on EC2 (no ECS charge)",
            param=p.gpu_instance_type,
        )
        usage.add(
            "ebs.gb_months",
            name,
            hours / HOURS_PER_MONTH * p.gpu_root_volume_gb,
            f"{hours:.1f} h x {p.gpu_root_volume_gb:g} GB root volume / 730 h",
        )
        return
    billed_min = max(minutes, 1.0)
    usage.add(
        "fargate.vcpu_hours",
        name,
        runs * billed_min / 60 * pipe.cpu / 1024,
        f"{runs:.0f} runs x {billed_min:g} min x {pipe.cpu / 1024:g} vCPU",
        "per-second, 1-minute minimum",
    )
    usage.add(
        "fargate.gb_hours",
        name,
        runs * billed_min / 60 * pipe.memory / 1024,
        f"{runs:.0f} runs x {billed_min:g} min x {pipe.memory / 1024:g} GB",
    )


def _canary_image_usage(p: EnvProfile, usage: Usage, runs: float) -> str:
    """Each canary run also submits the golden image (sizes.canary_image_check): one image job,
    its POST and polls through the API, and the job's table writes."""
    plat, top = p.platform, p.topology
    stream = next((s for s in p.streams if top.lambdas[s.name].runs and s.spec.task_minutes), None)
    fn = top.lambdas[stream.name] if stream else None
    if stream is None or fn is None or not fn.runs:
        return "canary image check: no image pipeline in the workload, not priced"
    calls = runs * (1 + plat.canary_image_polls)
    usage.add("apigateway.requests", SHARED, calls, f"{runs:.0f} canary image jobs: POST + polls")
    usage.add("lambda.requests", SHARED, calls, f"{calls:.0f} invocations for the canary's jobs")
    usage.add(
        "lambda.gb_seconds",
        SHARED,
        calls * stream.spec.lambda_ms / 1000 * _lambda_gb(fn.memory),
        f"{calls:.0f} x {stream.spec.lambda_ms:g} ms x {fn.memory} MB",
    )
    usage.add(
        "dynamodb.writes",
        SHARED,
        runs * stream.spec.dynamodb_writes,
        f"{runs:.0f} jobs x {stream.spec.dynamodb_writes} writes",
    )
    _task_usage(p, usage, fn.runs, runs, plat.canary_image_task_minutes)
    return (
        f"canary image check: {runs:.0f} {fn.runs} jobs a month of "
        f"{plat.canary_image_task_minutes:g} min each (sizes.canary_image_check)"
    )


def _platform_usage(p: EnvProfile, usage: Usage, user_requests: float) -> list[str]:
    top, plat = p.topology, p.platform
    sizes = top.environments[p.env].sizes
    notes = []
    hours = p.uptime_hours
    for name, size in sizes.services.items():
        pipe = p.pipeline(name)
        usage.add(
            "fargate.vcpu_hours",
            name,
            size.desired * hours * pipe.cpu / 1024,
            f"{size.desired} tasks x {hours:.0f} h x {pipe.cpu / 1024:g} vCPU",
            "desired count, no scale-out",
        )
        usage.add(
            "fargate.gb_hours",
            name,
            size.desired * hours * pipe.memory / 1024,
            f"{size.desired} tasks x {hours:.0f} h x {pipe.memory / 1024:g} GB",
        )
        usage.add("alb.hours", name, hours, f"1 internal ALB x {hours:.0f} h")
        usage.add(
            "alb.lcu_hours", name, plat.alb_lcu * hours, f"{plat.alb_lcu:g} LCU x {hours:.0f} h"
        )
    canary_every = p.canary_every_minutes
    if canary_every:
        runs = 60.0 / canary_every * HOURS_PER_MONTH
        auth = top.lambdas["auth"]
        usage.add("synthetics.runs", SHARED, runs, f"60/{canary_every:g} min x 730 h")
        usage.add("apigateway.requests", SHARED, runs, f"{runs:.0f} canary POST /auth")
        usage.add("lambda.requests", SHARED, runs, f"{runs:.0f} auth invocations by the canary")
        usage.add(
            "lambda.gb_seconds",
            SHARED,
            runs * AUTH_MS / 1000 * _lambda_gb(auth.memory),
            f"{runs:.0f} x {AUTH_MS:g} ms x {auth.memory} MB",
        )
        usage.add(
            "s3.puts", SHARED, runs * CANARY_PUTS, f"{runs:.0f} runs x {CANARY_PUTS} artifacts"
        )
        usage.add(
            "logs.ingest_gb",
            SHARED,
            runs * CANARY_LOG_KB / KB_PER_GB,
            f"{runs:.0f} x {CANARY_LOG_KB:g} KB",
        )
        if p.canary_image_check:
            notes.append(_canary_image_usage(p, usage, runs))
    logins = plat.logins_per_day * DAYS_PER_MONTH * _share(p)
    auth = top.lambdas["auth"]
    usage.add(
        "apigateway.requests", SHARED, logins, f"{plat.logins_per_day:g} logins/day x 30.4 days"
    )
    usage.add("lambda.requests", SHARED, logins, f"{logins:.0f} auth invocations")
    usage.add(
        "lambda.gb_seconds",
        SHARED,
        logins * AUTH_MS / 1000 * _lambda_gb(auth.memory),
        f"{logins:.0f} x {AUTH_MS:g} ms x {auth.memory} MB",
    )
    usage.add("dynamodb.reads", SHARED, logins, f"{logins:.0f} user lookups")
    checks = plat.drift_checks_per_day * DAYS_PER_MONTH
    if checks:
        svc = next(iter(sizes.services), None)
        if svc is not None:
            _task_usage(p, usage, svc, checks, plat.drift_check_minutes)
            notes.append(f"drift check: a task of the {svc} size, {plat.drift_check_minutes:g} min")
    if p.nat:
        usage.add(
            "nat.hours", SHARED, HOURS_PER_MONTH, "1 NAT gateway x 730 h", "one NAT for both AZs"
        )
        usage.add("nat.ipv4_hours", SHARED, HOURS_PER_MONTH, "1 Elastic IP x 730 h")
        usage.add("nat.gb", SHARED, plat.nat_gb_per_month, f"{plat.nat_gb_per_month:g} GB egress")
    db = top.database
    item = "rds.multi_az_hours" if p.multi_az else "rds.single_az_hours"
    usage.add(
        item,
        SHARED,
        hours,
        f"{db.instance_class} x {hours:.0f} h",
        "multi-AZ" if p.multi_az else "single-AZ",
        param=db.instance_class,
    )
    usage.add(
        "rds.storage_gb_months",
        SHARED,
        db.allocated_storage * (2 if p.multi_az else 1),
        f"{db.allocated_storage} GB" + (" x 2 AZ" if p.multi_az else ""),
    )
    usage.add(
        "rds.backup_gb_months",
        SHARED,
        plat.rds_backup_gb,
        f"{plat.rds_backup_gb:g} GB beyond the free allowance",
    )
    usage.add(
        "dynamodb.gb_months", SHARED, plat.dynamodb_stored_gb, f"{plat.dynamodb_stored_gb:g} GB"
    )
    usage.add(
        "s3.gb_months",
        SHARED,
        plat.s3_stored_gb,
        f"{plat.s3_stored_gb:g} GB models/artifacts/frontend",
    )
    _lambda_logs(p, usage)
    ingest = sum(q.amount for q in usage.quantities if q.item == "logs.ingest_gb")
    retention = sizes.log_retention_days
    usage.add(
        "logs.gb_months",
        SHARED,
        ingest * min(retention / 30.4, 12.0),
        f"{ingest:.3f} GB/month x {retention} days retention / 30.4",
        "steady state",
    )
    usage.add(
        "cloudwatch.metrics", SHARED, plat.custom_metrics, f"{plat.custom_metrics} custom metrics"
    )
    alarms = len(top.alarms)
    usage.add("cloudwatch.alarms", SHARED, alarms, f"{alarms} alarms in topology.yaml")
    usage.add("kms.keys", SHARED, 1, "1 customer key (data module)")
    usage.add(
        "kms.requests",
        SHARED,
        user_requests * plat.kms_requests_per_request,
        f"{user_requests:.0f} requests x {plat.kms_requests_per_request:g}",
    )
    usage.add("secrets.secrets", SHARED, len(top.secrets), f"{len(top.secrets)} secrets")
    users = sum(1 for fn in top.lambdas.values() if fn.access.secrets)
    calls = users * 24 * DAYS_PER_MONTH + user_requests * plat.secrets_calls_per_request
    usage.add("secrets.calls", SHARED, calls, f"{users} functions x 1 fetch/h (warm cache)")
    usage.add("ecr.gb_months", SHARED, plat.ecr_stored_gb, f"{plat.ecr_stored_gb:g} GB of images")
    if p.cdn:
        usage.add(
            "cloudfront.gb", SHARED, plat.cdn_gb_per_month, f"{plat.cdn_gb_per_month:g} GB frontend"
        )
        usage.add("cloudfront.requests", SHARED, plat.cdn_requests_per_month, "frontend requests")
    if p.waf:
        usage.add("waf.acls", SHARED, 1, "1 web ACL on CloudFront")
        usage.add("waf.rules", SHARED, 3, "3 managed rule groups (frontend/waf.tf)")
        usage.add("waf.requests", SHARED, plat.cdn_requests_per_month, "every CloudFront request")
    return notes


def _share(p: EnvProfile) -> float:
    return p.streams[0].traffic_share if p.streams else 1.0


def _lambda_logs(p: EnvProfile, usage: Usage) -> None:
    """Every invocation writes START, END and REPORT lines to its log group; every API request
    a handler answers writes one EMF line (its latency metrics)."""
    per: dict[str, float] = {}
    api: dict[str, float] = {}
    for q in usage.quantities:
        if q.item == "lambda.requests":
            per[q.pipeline] = per.get(q.pipeline, 0.0) + q.amount
        elif q.item == "apigateway.requests":
            api[q.pipeline] = api.get(q.pipeline, 0.0) + q.amount
    kb = p.platform.lambda_log_kb
    for pipe, n in per.items():
        usage.add("logs.ingest_gb", pipe, n * kb / KB_PER_GB, f"{n:.0f} invocations x {kb:g} KB")
    emf = p.platform.api_metrics_log_kb
    for pipe, n in api.items():
        usage.add("logs.ingest_gb", pipe, n * emf / KB_PER_GB, f"{n:.0f} EMF lines x {emf:g} KB")


def usage_of(p: EnvProfile) -> tuple[Usage, list[str]]:
    usage = Usage()
    user_requests = _stream_usage(p, usage)
    notes = _platform_usage(p, usage, user_requests)
    notes += [
        "month = 730 h; on-demand list prices, no free tier, no savings plans, no tax",
        f"Terraform flags from {p.flags_source}: NAT={p.nat} CDN={p.cdn} WAF={p.waf} "
        f"multi-AZ={p.multi_az} canary={p.canary} GPU={p.gpu_instance_type}",
        *p.whatif.describe(),
    ]
    return usage, notes


def estimate(p: EnvProfile, prices: PriceTable) -> Estimate:
    usage, notes = usage_of(p)
    return Estimate(p.env, p.region, price(usage, prices, p.region), notes)
