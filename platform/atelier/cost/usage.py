"""Billable quantities and their pricing: the estimate and the meter produce :class:`Usage`,
:func:`price` turns either into priced :class:`Line` s, so the two are compared line for line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from atelier.cost.prices import PriceTable


@dataclass(frozen=True)
class Item:
    """How one kind of quantity is priced: the price path and the quantity per priced unit."""

    service: str
    unit: str
    path: tuple[str, ...]
    per: float = 1.0  # quantity per priced unit: 1e6 requests per "requests_million"


# item key -> pricing. Keys with "{}" take a parameter (instance type or class).
ITEMS: dict[str, Item] = {
    "fargate.vcpu_hours": Item("Fargate", "vCPU-hours", ("fargate", "vcpu_hour")),
    "fargate.gb_hours": Item("Fargate", "GB-hours", ("fargate", "gb_hour")),
    "ec2.on_demand_hours": Item("EC2 GPU", "instance-hours", ("ec2", "{}", "on_demand_hour")),
    "ec2.spot_hours": Item("EC2 GPU", "instance-hours", ("ec2", "{}", "spot_hour")),
    "ebs.gb_months": Item("EC2 GPU", "GB-months", ("ebs", "gp3_gb_month")),
    "lambda.requests": Item("Lambda", "requests", ("lambda", "requests_million"), 1e6),
    "lambda.gb_seconds": Item("Lambda", "GB-seconds", ("lambda", "gb_second")),
    "apigateway.requests": Item(
        "API Gateway", "requests", ("apigateway", "rest_requests_million"), 1e6
    ),
    "alb.hours": Item("Load balancer", "hours", ("alb", "hour")),
    "alb.lcu_hours": Item("Load balancer", "LCU-hours", ("alb", "lcu_hour")),
    "nat.hours": Item("NAT gateway", "hours", ("nat", "hour")),
    "nat.gb": Item("NAT gateway", "GB", ("nat", "gb")),
    "nat.ipv4_hours": Item("NAT gateway", "IPv4-hours", ("nat", "public_ipv4_hour")),
    "rds.single_az_hours": Item("RDS", "instance-hours", ("rds", "{}", "single_az_hour")),
    "rds.multi_az_hours": Item("RDS", "instance-hours", ("rds", "{}", "multi_az_hour")),
    "rds.storage_gb_months": Item("RDS", "GB-months", ("rds", "storage_gp2_gb_month")),
    "rds.backup_gb_months": Item("RDS", "GB-months", ("rds", "backup_gb_month")),
    "dynamodb.writes": Item("DynamoDB", "write units", ("dynamodb", "write_million"), 1e6),
    "dynamodb.reads": Item("DynamoDB", "read units", ("dynamodb", "read_million"), 1e6),
    "dynamodb.gb_months": Item("DynamoDB", "GB-months", ("dynamodb", "storage_gb_month")),
    "s3.gb_months": Item("S3", "GB-months", ("s3", "storage_gb_month")),
    "s3.puts": Item("S3", "PUT requests", ("s3", "put_thousand"), 1e3),
    "s3.gets": Item("S3", "GET requests", ("s3", "get_thousand"), 1e3),
    "logs.ingest_gb": Item("CloudWatch Logs", "GB", ("cloudwatch", "logs_ingest_gb")),
    "logs.gb_months": Item("CloudWatch Logs", "GB-months", ("cloudwatch", "logs_storage_gb_month")),
    "cloudwatch.metrics": Item("CloudWatch", "metric-months", ("cloudwatch", "metric_month")),
    "cloudwatch.alarms": Item("CloudWatch", "alarm-months", ("cloudwatch", "alarm_month")),
    "synthetics.runs": Item("Synthetics", "canary runs", ("cloudwatch", "synthetics_run")),
    "kms.keys": Item("KMS", "key-months", ("kms", "key_month")),
    "kms.requests": Item("KMS", "requests", ("kms", "requests_10k"), 1e4),
    "secrets.secrets": Item("Secrets Manager", "secret-months", ("secretsmanager", "secret_month")),
    "secrets.calls": Item("Secrets Manager", "API calls", ("secretsmanager", "calls_10k"), 1e4),
    "ecr.gb_months": Item("ECR", "GB-months", ("ecr", "storage_gb_month")),
    "cloudfront.gb": Item("CloudFront", "GB", ("cloudfront", "gb")),
    "cloudfront.requests": Item(
        "CloudFront", "HTTPS requests", ("cloudfront", "https_requests_10k"), 1e4
    ),
    "waf.acls": Item("WAF", "web ACL-months", ("waf", "acl_month")),
    "waf.rules": Item("WAF", "rule-months", ("waf", "rule_month")),
    "waf.requests": Item("WAF", "requests", ("waf", "requests_million"), 1e6),
}
SERVICES = tuple(dict.fromkeys(item.service for item in ITEMS.values()))


@dataclass
class Quantity:
    item: str
    pipeline: str
    amount: float
    formula: str
    assumptions: str = ""
    param: str = ""  # instance type / class for parameterised items


@dataclass
class Usage:
    """Quantities for a period (a month for the estimate, the replayed span for the meter)."""

    quantities: list[Quantity] = field(default_factory=list)

    def add(
        self,
        item: str,
        pipeline: str,
        amount: float,
        formula: str,
        assumptions: str = "",
        param: str = "",
    ) -> None:
        if item not in ITEMS:
            raise KeyError(item)
        if amount:
            self.quantities.append(Quantity(item, pipeline, amount, formula, assumptions, param))


@dataclass(frozen=True)
class Line:
    service: str
    pipeline: str
    item: str
    amount: float
    unit: str
    unit_price: float
    per: float
    usd: float
    formula: str
    assumptions: str
    price_path: str


def price_paths(usage: Usage) -> list[tuple[str, ...]]:
    return [_path(ITEMS[q.item], q.param) for q in usage.quantities]


def _path(item: Item, param: str) -> tuple[str, ...]:
    return tuple(param if part == "{}" else part for part in item.path)


def price(usage: Usage, table: PriceTable, region: str) -> list[Line]:
    lines = []
    for q in usage.quantities:
        item = ITEMS[q.item]
        path = _path(item, q.param)
        unit_price = table.get(region, *path)
        usd = q.amount / item.per * unit_price
        lines.append(
            Line(
                service=item.service,
                pipeline=q.pipeline,
                item=q.item + (f"[{q.param}]" if q.param else ""),
                amount=q.amount,
                unit=item.unit,
                unit_price=unit_price,
                per=item.per,
                usd=usd,
                formula=q.formula,
                assumptions=q.assumptions,
                price_path=".".join(path),
            )
        )
    return lines


def by(lines: list[Line], key: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for line in lines:
        out[getattr(line, key)] += line.usd
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
