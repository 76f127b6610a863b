"""The expansion's shape: what ``expand()`` returns and ``terraform/modules/topology`` outputs.

One output of the Terraform module per field of :class:`Expansion`; the parity test checks the
set of outputs and every value, so a field added here needs its output there.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Permissions(Out):
    """Resource *names* a role may touch; both targets turn them into ARNs and actions."""

    tables_read: list[str]
    tables_write: list[str]
    buckets_read: list[str]
    buckets_write: list[str]
    secrets: list[str]
    run_tasks: list[str]  # task definition families (RunTask + iam:PassRole on their roles)
    tasks_read: list[str]  # ECS clusters whose tasks it may describe: `runs` or `tasks: read`
    prefixes_read: list[str] = []  # "<bucket>/<prefix>" read (`prefixes`)
    alarms_read: list[str] = []  # [prefix] with `alarms: read` (the lambda filters by it)
    prefixes_write: list[str] = []  # "<bucket>/<prefix>" write (`write_prefixes`)
    metrics_write: list[str] = []  # CloudWatch namespaces (`metrics`)


class Route(Out):
    path: str
    method: str
    lambda_name: str  # key in Expansion.lambdas
    function_name: str
    authorized: bool


class LambdaFn(Out):
    function_name: str
    role_name: str
    source: str
    handler: str
    runtime: str
    timeout: int
    memory: int
    authorizer: bool
    in_vpc: bool
    log_group: str
    environment: dict[str, str]
    environment_refs: dict[str, str]
    permissions: Permissions


class Pipeline(Out):
    kind: str
    max_runtime_minutes: int | None
    family: str  # task definition family
    container_name: str
    image: str  # ECR repository / local image name
    image_dir: str
    cpu: int
    memory: int
    gpu: int
    port: int | None
    health_path: str | None
    task_role_name: str
    execution_role_name: str
    log_group: str
    environment: dict[str, str]
    environment_refs: dict[str, str]
    permissions: Permissions
    # the training task's own role (topology ``training:``), None when the pipeline trains nothing
    training_role_name: str | None
    training_permissions: Permissions | None


class Service(Out):
    name: str
    pipeline: str
    family: str
    desired_count: int
    max_count: int
    port: int
    health_path: str
    alb_name: str
    target_group_name: str


class Table(Out):
    name: str
    hash_key: str
    ttl_attribute: str | None
    indexes: dict[str, dict[str, str | None]] = {}  # name -> {hash_key, range_key}


class Bucket(Out):
    name: str
    website: bool
    versioned: bool


class Alarm(Out):
    name: str
    metric: str
    namespace: str
    threshold: float
    period: int
    evaluation_periods: int
    statistic: str
    datapoints_to_alarm: int
    comparison: str
    treat_missing_data: str
    description: str
    dimensions: dict[str, str]


class Network(Out):
    vpc_name: str
    cidr: str
    private_subnets: dict[str, str]  # subnet name -> CIDR
    security_groups: dict[str, str]  # role (lambda, alb, service, tasks, db) -> name


class Database(Out):
    identifier: str
    engine: str
    engine_version: str
    instance_class: str
    db_name: str
    allocated_storage: int
    credentials: str  # key in Expansion.secrets: the secret with the DB credentials


class Api(Out):
    name: str
    stage: str
    authorizer_name: str
    authorizer_lambda: str
    identity_source: str
    authorizer_ttl_seconds: int
    rate_limit: int
    burst_limit: int
    cors_origins: list[str]
    log_group: str


class Expansion(Out):
    env: str
    project: str
    prefix: str
    region: str
    account_id: str | None
    cluster: str
    alerts_topic: str
    gpu_capacity_provider: str
    gpu_max_instances: int
    monthly_budget_usd: int
    log_retention_days: int
    canary_image_check: bool
    layer_name: str
    network: Network
    api: Api
    routes: dict[str, Route]  # "METHOD /path" -> route
    lambdas: dict[str, LambdaFn]
    pipelines: dict[str, Pipeline]
    services: dict[str, Service]
    repositories: dict[str, str]  # pipeline -> ECR repository name
    tables: dict[str, Table]
    buckets: dict[str, Bucket]
    secrets: dict[str, str]  # secret key -> Secrets Manager name
    database: Database
    alarms: dict[str, Alarm]
