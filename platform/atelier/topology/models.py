"""Typed models of ``topology.yaml``: what the file may say, checked field by field.

Every model forbids unknown keys, so a typo is an error that names the field (and, through
:mod:`atelier.topology.loader`, its line) rather than a silently ignored setting.
Cross-references (a lambda that runs an unknown pipeline, access to an unknown table) are
checked in :func:`reference_errors`, which returns paths the loader maps to lines too.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from atelier.topology.errors import FieldError as FieldError
from atelier.topology.workload import Workload

NAME = r"^[a-z][a-z0-9_]{0,39}$"
ENV_NAME = r"^[a-z][a-z0-9]{0,11}$"
ENV_VAR = r"^[A-Z][A-Z0-9_]*$"
# CloudWatch Logs accepts only these retention periods.
# fmt: off
RETENTION_DAYS = frozenset((1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                            1096, 1827, 2192, 2557, 2922, 3288, 3653))
# fmt: on
# Fargate's valid (cpu, memory) pairs, cpu in units, memory in MiB.
FARGATE_MEMORY = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}


def _env_value(value: object) -> object:
    """Env values are strings; an int is accepted and written as Terraform's tostring() does."""
    if isinstance(value, bool):
        raise ValueError('write booleans as quoted strings ("true"/"false")')
    if isinstance(value, int):
        return str(value)
    return value


EnvValue = Annotated[str, BeforeValidator(_env_value)]
Name = Annotated[str, Field(pattern=NAME)]
EnvVarName = Annotated[str, Field(pattern=ENV_VAR)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSize(Strict):
    desired: int = Field(ge=0, le=100, description="running tasks")
    max: int = Field(ge=1, le=100, description="autoscaling ceiling")

    @model_validator(mode="after")
    def _max_covers_desired(self) -> ServiceSize:
        if self.max < self.desired:
            raise FieldError("max", f"max ({self.max}) is below desired ({self.desired})")
        return self


class Sizes(Strict):
    log_retention_days: int
    services: dict[Name, ServiceSize] = Field(default_factory=dict)
    gpu_max_instances: int = Field(default=0, ge=0, le=20)
    monthly_budget_usd: int = Field(default=0, ge=0)
    api_rate_limit: int = Field(default=10, ge=1, description="requests/s, API stage")
    api_burst_limit: int = Field(default=20, ge=1)
    canary_image_check: bool = Field(
        default=False,
        description="the every-minute canary also submits the golden image and follows its job "
        "(an image task each minute: worth it where users depend on it)",
    )

    @model_validator(mode="after")
    def _retention(self) -> Sizes:
        if self.log_retention_days not in RETENTION_DAYS:
            raise FieldError(
                "log_retention_days",
                f"log_retention_days {self.log_retention_days} is not one CloudWatch accepts: "
                f"{sorted(RETENTION_DAYS)}",
            )
        return self


class Environment(Strict):
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    account_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    link_allowlist: list[str] = Field(default_factory=list)
    sizes: Sizes


class Network(Strict):
    cidr: str = Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")
    private_subnets: int = Field(default=2, ge=2, le=6)

    @model_validator(mode="after")
    def _network_address(self) -> Network:
        try:
            ipaddress.ip_network(self.cidr, strict=True)
        except ValueError as exc:
            raise FieldError(
                "cidr", f"cidr {self.cidr!r} is not a network address: {exc}"
            ) from None
        return self


class Api(Strict):
    stage: str = Field(default="v1", pattern=r"^[a-zA-Z0-9_]{1,64}$")
    jwt_issuer: str = "atelier"
    jwt_audience: str = "atelier-api"
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    # how long API Gateway keeps the TOKEN authorizer's answer per token (AWS's default; 0: never)
    authorizer_ttl_seconds: int = Field(default=300, ge=0, le=3600)


class Secret(Strict):
    description: str = ""


class Access(Strict):
    """What a lambda or task may touch: the source of its least-privilege IAM policy."""

    tables: dict[Name, Literal["read", "write"]] = Field(default_factory=dict)
    buckets: dict[Name, Literal["read", "write"]] = Field(default_factory=dict)
    secrets: list[Name] = Field(default_factory=list)
    tasks: Literal["read"] | None = Field(
        default=None,
        description="read: ecs:DescribeTasks on the cluster's tasks (a lambda that `runs` a "
        "pipeline has it already)",
    )
    prefixes: dict[Name, Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/$")]] = Field(
        default_factory=dict,
        description="read of one key prefix of a bucket: s3:GetObject on <bucket>/<prefix>* "
        "and s3:ListBucket limited to that prefix (e.g. {artifacts: drift/})",
    )
    alarms: Literal["read"] | None = Field(
        default=None,
        description="read: cloudwatch:DescribeAlarms, GetMetricData and GetMetricStatistics "
        "(read-only; a DescribeAlarms by prefix and metric reads name no resource)",
    )
    write_prefixes: dict[Name, Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/$")]] = Field(
        default_factory=dict,
        description="write of one key prefix of a bucket: s3:PutObject on <bucket>/<prefix>* "
        "(e.g. {artifacts: drift/}: the drift check's report)",
    )
    metrics: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9/_.-]{1,255}$")]] = Field(
        default_factory=list,
        description="CloudWatch namespaces it may PutMetricData to (cloudwatch:namespace "
        "condition; the call names no resource)",
    )


class Training(Strict):
    """The pipeline's training task (``python -m <pipeline>.train --register``) runs as its own
    task role, ``<prefix><pipeline>-train``: it writes the registry and reads its data, while
    the pipeline's serving role keeps read-only access to models."""

    access: Access = Field(default_factory=Access)


class Pipeline(Strict):
    kind: Literal["service", "task", "gpu_task"]
    image: str = Field(pattern=r"^pipelines/[a-z0-9_]+$", description="folder with the Dockerfile")
    cpu: int
    memory: int
    gpu: int = Field(default=0, ge=0, le=8)
    port: int | None = Field(default=None, ge=1, le=65535)
    health_path: str | None = Field(default=None, pattern=r"^/")
    short_name: str | None = Field(default=None, pattern=r"^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$")
    task_definition_var: EnvVarName | None = None
    env: dict[EnvVarName, EnvValue] = Field(default_factory=dict)
    access: Access = Field(default_factory=Access)
    training: Training | None = None
    # a job RUNNING longer than this raises the jobs_overdue alarm (task pipelines)
    max_runtime_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _consistent(self) -> Pipeline:
        allowed = FARGATE_MEMORY.get(self.cpu)
        if self.kind != "gpu_task":
            if allowed is None:
                raise FieldError(
                    "cpu", f"cpu {self.cpu} is not a Fargate size: {sorted(FARGATE_MEMORY)}"
                )
            if self.memory not in allowed:
                raise FieldError(
                    "memory",
                    f"memory {self.memory} MiB does not fit cpu {self.cpu} on Fargate "
                    f"({allowed.start}..{allowed.stop - 1} by {allowed.step})",
                )
        if self.kind == "service":
            missing = [f for f in ("port", "health_path", "short_name") if getattr(self, f) is None]
            if missing:
                raise FieldError(missing[0], f"a service needs {', '.join(missing)}")
        elif self.task_definition_var is None:
            raise FieldError(
                "task_definition_var",
                "a task needs task_definition_var (the env var lambdas run it by)",
            )
        if self.kind == "gpu_task" and self.gpu < 1:
            raise FieldError("gpu", "a gpu_task needs gpu >= 1")
        if self.kind != "gpu_task" and self.gpu:
            raise FieldError("gpu", "only a gpu_task may ask for a gpu (Fargate has none)")
        return self


class Route(Strict):
    # 1 to 3 segments: terraform/modules/api builds API Gateway resources three levels deep.
    path: str = Field(pattern=r"^(/(\{[A-Za-z0-9_]+\}|[A-Za-z0-9_-]+)){1,3}$")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class Lambda(Strict):
    route: Route | None = None
    authorizer: bool = False
    authorized: bool = True
    runs: Name | None = Field(default=None, description="pipeline this lambda starts (RunTask)")
    calls: Name | None = Field(default=None, description="service this lambda calls (in the VPC)")
    source: str | None = Field(default=None, pattern=r"^lambdas/[a-z0-9_]+$")
    handler: str = Field(default="handler.handler", pattern=r"^[A-Za-z0-9_.]+\.[A-Za-z0-9_]+$")
    timeout: int = Field(ge=1, le=900)
    memory: int = Field(ge=128, le=10240)
    access: Access = Field(default_factory=Access)

    @model_validator(mode="after")
    def _route_xor_authorizer(self) -> Lambda:
        if self.authorizer and self.route is not None:
            raise FieldError("route", "the authorizer lambda has no route")
        if not self.authorizer and self.route is None:
            raise ValueError("a lambda needs a route (or authorizer: true)")
        return self


class Index(Strict):
    """A global secondary index (all attributes projected); string keys."""

    hash_key: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    range_key: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class Table(Strict):
    hash_key: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    ttl_attribute: str | None = None
    indexes: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")], Index] = Field(
        default_factory=dict, description="global secondary indexes by name"
    )


class Bucket(Strict):
    website: bool = False
    versioned: bool = False


class Database(Strict):
    engine: Literal["postgres"]
    engine_version: str = Field(pattern=r"^\d+(\.\d+)?$")
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    db_name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    allocated_storage: int = Field(ge=20, le=65536)


class Alarm(Strict):
    metric: str
    namespace: str
    threshold: float
    period: int = Field(ge=10)
    evaluation_periods: int = Field(default=1, ge=1)
    # a basic statistic, or a percentile (p90, p99, p99.9: CloudWatch's ExtendedStatistic)
    statistic: str = Field(
        default="Sum", pattern=r"^(Sum|Average|Maximum|Minimum|SampleCount|p\d{1,2}(\.\d+)?)$"
    )
    datapoints_to_alarm: int | None = Field(default=None, ge=1)
    comparison: Literal[
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ] = "GreaterThanOrEqualToThreshold"
    treat_missing_data: Literal["missing", "ignore", "breaching", "notBreaching"] = "notBreaching"
    description: str = ""
    # the metric's own dimensions (Atelier/Api: {Route: /structured_data} or {Pipeline: ...});
    # the deployers add the environment's (Environment, ApiName, LoadBalancer ...)
    dimensions: dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,254}$")], str] = Field(
        default_factory=dict, max_length=10
    )

    @model_validator(mode="after")
    def _period(self) -> Alarm:
        if self.period % 60 and self.period not in (10, 30):
            raise FieldError("period", f"period {self.period} must be 10, 30 or a multiple of 60")
        if self.datapoints_to_alarm and self.datapoints_to_alarm > self.evaluation_periods:
            raise FieldError("datapoints_to_alarm", "datapoints_to_alarm > evaluation_periods")
        return self


class Topology(Strict):
    version: Literal[1]
    project: str = Field(pattern=r"^[a-z][a-z0-9]{0,15}$")
    environments: dict[Annotated[str, Field(pattern=ENV_NAME)], Environment]
    network: Network
    api: Api = Field(default_factory=Api)
    secrets: dict[Name, Secret]
    pipelines: dict[Name, Pipeline]
    lambdas: dict[Name, Lambda]
    tables: dict[Name, Table]
    buckets: dict[Name, Bucket]
    database: Database
    alarms: dict[Name, Alarm] = Field(default_factory=dict)
    workload: Workload | None = Field(default=None, description="what each environment does")


Path = tuple[str | int, ...]
# Names docs/contracts.md gives to lambdas and tasks through env vars: they must exist.
CONTRACT_NAMES = {
    "tables": {"jobs", "idempotency", "users"},
    "buckets": {"frontend", "inputs", "results", "models", "artifacts"},
    "secrets": {"jwt", "db"},
}


def _access_errors(where: Path, access: Access, top: Topology) -> list[tuple[Path, str]]:
    errors: list[tuple[Path, str]] = []
    for kind, known in (("tables", top.tables), ("buckets", top.buckets)):
        for name in getattr(access, kind):
            if name not in known:
                errors.append(((*where, "access", kind, name), f"unknown {kind[:-1]} {name!r}"))
    for i, name in enumerate(access.secrets):
        if name not in top.secrets:
            errors.append(((*where, "access", "secrets", i), f"unknown secret {name!r}"))
    return errors


def reference_errors(top: Topology) -> list[tuple[Path, str]]:
    """Names that point at nothing, duplicate routes, a missing authorizer: (path, message)."""
    errors: list[tuple[Path, str]] = []
    services = {n for n, p in top.pipelines.items() if p.kind == "service"}
    tasks = {n for n, p in top.pipelines.items() if p.kind != "service"}
    seen: dict[tuple[str, str], str] = {}
    for name, fn in top.lambdas.items():
        where: Path = ("lambdas", name)
        if fn.runs is not None and fn.runs not in tasks:
            errors.append(
                ((*where, "runs"), f"{fn.runs!r} is not a task pipeline: {sorted(tasks)}")
            )
        if fn.calls is not None and fn.calls not in services:
            errors.append(((*where, "calls"), f"{fn.calls!r} is not a service: {sorted(services)}"))
        if fn.route is not None:
            key = (fn.route.method, fn.route.path)
            if key in seen:
                errors.append(((*where, "route"), f"{key[0]} {key[1]} is already {seen[key]!r}'s"))
            seen[key] = name
        errors += _access_errors(where, fn.access, top)
    for section, required in CONTRACT_NAMES.items():
        missing = sorted(required - set(getattr(top, section)))
        if missing:
            errors.append(((section,), f"docs/contracts.md needs {section} {missing}"))
    if sum(fn.authorizer for fn in top.lambdas.values()) != 1:
        errors.append((("lambdas",), "exactly one lambda must have authorizer: true"))
    for name, pipe in top.pipelines.items():
        errors += _access_errors(("pipelines", name), pipe.access, top)
        if pipe.training is not None:
            errors += _access_errors(("pipelines", name, "training"), pipe.training.access, top)
    task_vars = [p.task_definition_var for p in top.pipelines.values() if p.task_definition_var]
    if len(task_vars) != len(set(task_vars)):
        errors.append((("pipelines",), f"task_definition_var values repeat: {task_vars}"))
    for env_name, env in top.environments.items():
        for svc in env.sizes.services:
            if svc not in services:
                path: Path = ("environments", env_name, "sizes", "services", svc)
                errors.append((path, f"{svc!r} is not a service: {sorted(services)}"))
        for svc in services - set(env.sizes.services):
            path = ("environments", env_name, "sizes", "services")
            errors.append((path, f"no size for service {svc!r}"))
    if top.workload is not None:
        errors += _workload_errors(top, top.workload)
    return errors


def _workload_errors(top: Topology, workload: Workload) -> list[tuple[Path, str]]:
    """Request streams are routed lambdas; overrides name known environments."""
    errors: list[tuple[Path, str]] = []
    routed = sorted(n for n, fn in top.lambdas.items() if fn.route is not None)
    for name in workload.requests:
        if name not in routed:
            errors.append(
                (("workload", "requests", name), f"{name!r} is not a routed lambda: {routed}")
            )
    for env in workload.environments:
        if env not in top.environments:
            path: Path = ("workload", "environments", env)
            errors.append((path, f"unknown environment {env!r}: {sorted(top.environments)}"))
    return errors
