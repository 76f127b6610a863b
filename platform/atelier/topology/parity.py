"""What ``atelier deploy`` creates ↔ what Terraform declares: the parity table.

Each kind of resource the deployer reports (``Change.kind``) has a row: where its names come
from in the expansion, and the Terraform resources that create the same thing, with the
expression that names them. Since ``terraform/modules/topology`` outputs exactly ``expand()``
(tests/integration/terraform/test_topology_module.py applies it), and the stack passes those
outputs straight to the modules, a name expression such as ``each.value.name`` over
``var.tables`` gives the very names the deployer uses.

Every Terraform resource must appear here: as the counterpart of a deployer kind, as a setting
of one (``PART_OF``: the deployer sets it inside the same ``ensure_*`` call), or as
Terraform-only with the reason (``TERRAFORM_ONLY``). The test walks ``terraform/modules`` and
fails on any resource this file does not account for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from atelier.topology.expander import Expansion


@dataclass(frozen=True)
class TfResource:
    """One Terraform resource block: ``module/type.label`` and how it is named."""

    address: str  # "data/aws_dynamodb_table.this" (module directory / type . label)
    name_attr: str  # attribute holding the AWS name ("tags.Name" for a tag)
    name_expr: str  # its expression, normalised: "each.value.name", "${var.x}-subnets"
    for_each: str | None = None  # what it iterates, or None for one resource
    stack_input: tuple[str, str] | None = None  # (module argument, expression) in modules/stack


@dataclass(frozen=True)
class Counterpart:
    kind: str  # the deployer's Change.kind
    pattern: str  # the name, for people
    # expansion paths of the names ("tables.*.name", "pipelines.*[kind!=service].log_group");
    # () = matched by kind only
    sources: tuple[str, ...]
    terraform: tuple[TfResource, ...]
    name_format: str = "{}"  # applied to each source value (e.g. "{}-subnets")
    note: str = ""
    also: tuple[str, ...] = ()  # further formats of the same sources (e.g. "{}-deps")


def _r(address: str, attr: str, expr: str, for_each: str | None = None,
       stack_input: tuple[str, str] | None = None) -> TfResource:  # fmt: skip
    return TfResource(address, attr, expr, for_each, stack_input)


# fmt: off
COUNTERPARTS: tuple[Counterpart, ...] = (
    Counterpart("ec2.vpc", "atelier-{env}-vpc", ("network.vpc_name",), (
        _r("network/aws_vpc.this", "tags.Name", "var.network.vpc_name", None,
           ("network", "local.t.network")),)),
    Counterpart("ec2.subnet", "atelier-{env}-private-{i}", ("network.private_subnets.*key",), (
        _r("network/aws_subnet.private", "tags.Name", "each.key", "local.private"),)),
    Counterpart("ec2.security_group", "atelier-{env}-{role}", ("network.security_groups.*",), (
        _r("network/aws_security_group.this", "name", "each.value", "local.sg"),)),
    Counterpart("iam.role", "atelier-{env}-{lambda}-lambda, -{pipeline}-task, -exec, -train",
                ("lambdas.*.role_name", "pipelines.*.task_role_name",
                 "pipelines.*.execution_role_name", "pipelines.*.training_role_name"), (
        _r("api/aws_iam_role.lambda", "name", "each.value.role_name", "var.lambdas",
           ("lambdas", "local.t.lambdas")),
        _r("ecs_task/aws_iam_role.task", "name", "each.value.task_role_name", "var.pipelines",
           ("pipelines", "local.t.pipelines")),
        _r("ecs_task/aws_iam_role.execution", "name", "each.value.execution_role_name",
           "var.pipelines"),
        _r("ecs_task/aws_iam_role.training", "name", "each.value.training_role_name",
           "{for n, p in var.pipelines : n => p if p.training_role_name != null}"),
    )),
    Counterpart("s3.bucket", "atelier-{env}-{bucket}", ("buckets.*.name",), (
        _r("data/aws_s3_bucket.this", "bucket", "each.value.name", "local.buckets",
           ("buckets", "local.t.buckets")),
        _r("frontend/aws_s3_bucket.this", "bucket", "var.bucket.name", None,
           ("bucket", 'local.t.buckets["frontend"]')),
    ), note="website buckets are the frontend module's, the others the data module's"),
    Counterpart("kms.key", "alias/atelier-{env}", (), (
        _r("data/aws_kms_alias.this", "name", 'alias/${trimsuffix(var.name_prefix, "-")}', None,
           ("name_prefix", "local.t.prefix")),),
        note="the environment's customer key, by its alias (the prefix without its dash): "
        "matched by kind"),
    Counterpart("dynamodb.table", "atelier-{env}-{table}", ("tables.*.name",), (
        _r("data/aws_dynamodb_table.this", "name", "each.value.name", "var.tables",
           ("tables", "local.t.tables")),)),
    Counterpart("secretsmanager.secret", "atelier-{env}-{secret}", ("secrets.*",), (
        _r("data/aws_secretsmanager_secret.this", "name", "each.value", "var.secrets",
           ("secrets", "local.t.secrets")),)),
    Counterpart("rds.instance", "atelier-{env}-db", ("database.identifier",), (
        _r("data/aws_db_instance.this", "identifier", "var.database.identifier", None,
           ("database", "local.t.database")),)),
    Counterpart("rds.subnet_group", "atelier-{env}-db-subnets", ("database.identifier",), (
        _r("data/aws_db_subnet_group.this", "name", "${var.database.identifier}-subnets"),),
        name_format="{}-subnets"),
    Counterpart("rds.parameter_group", "atelier-{env}-db-params", ("database.identifier",), (
        _r("data/aws_db_parameter_group.this", "name", "${var.database.identifier}-params"),),
        name_format="{}-params", note="rds.force_ssl=1: the runtime's RDS engine forces TLS"),
    Counterpart("ecr.repository", "atelier/{pipeline}", ("repositories.*",), (
        _r("ecs_task/aws_ecr_repository.this", "name", "each.value", "var.repositories",
           ("repositories", "local.t.repositories")),)),
    Counterpart("ecs.cluster", "atelier-{env}", ("cluster",), (
        _r("ecs_task/aws_ecs_cluster.this", "name", "var.cluster", None,
           ("cluster", "local.t.cluster")),)),
    Counterpart("ecs.task_definition", "atelier-{env}-{pipeline}", ("pipelines.*.family",), (
        _r("ecs_task/aws_ecs_task_definition.this", "family", "each.value.family",
           "var.pipelines"),)),
    Counterpart("ecs.service", "atelier-{env}-{service}", ("services.*.name",), (
        _r("ecs_service/aws_ecs_service.this", "name", "each.value.name", "var.services",
           ("services", "local.t.services")),)),
    Counterpart("appautoscaling.target", "atelier-{env}-{service} (service/<cluster>/<service>)",
                ("services.*.name",), (
        _r("ecs_service/aws_appautoscaling_target.this", "resource_id",
           'service/${split("/", var.cluster_arn)[1]}/${aws_ecs_service.this[each.key].name}',
           "var.enable_autoscaling ? var.services : {}"),),
        note="between the service's desired and max task counts; the runtime's Application "
        "Auto Scaling acts on it"),
    Counterpart("appautoscaling.policy", "atelier-{env}-{service}-cpu", ("services.*.name",), (
        _r("ecs_service/aws_appautoscaling_policy.cpu", "name", "${var.services[each.key].name}-cpu",
           "aws_appautoscaling_target.this"),),
        name_format="{}-cpu", note="target tracking on ECSServiceAverageCPUUtilization"),
    Counterpart("elbv2.load_balancer", "atelier-{env}-{short_name}", ("services.*.alb_name",), (
        _r("ecs_service/aws_lb.this", "name", "each.value.alb_name", "var.services"),)),
    Counterpart("elbv2.target_group", "atelier-{env}-{short_name}-tg",
                ("services.*.target_group_name",), (
        _r("ecs_service/aws_lb_target_group.this", "name", "each.value.target_group_name",
           "var.services"),)),
    Counterpart("elbv2.listener", "{alb}:80", ("services.*.alb_name",), (
        _r("ecs_service/aws_lb_listener.this", "port", "80", "var.services"),),
        name_format="{}:80", note="a listener has no name: the deployer reports <alb>:<port>"),
    Counterpart("lambda.function", "atelier-{env}-{lambda}", ("lambdas.*.function_name",), (
        _r("api/aws_lambda_function.this", "function_name", "each.value.function_name",
           "var.lambdas"),)),
    Counterpart("lambda.layer", "atelier-{env}-shared, atelier-{env}-shared-deps", ("layer_name",), (
        _r("api/aws_lambda_layer_version.shared", "layer_name", "var.layer_name", None,
           ("layer_name", "local.t.layer_name")),
        _r("api/aws_lambda_layer_version.deps", "layer_name", "${var.layer_name}-deps"),
    ), also=("{}-deps",), note="the shared code layer and the pip-built third-party layer"),
    Counterpart("lambda.permission", "{function}/{statement id}", (), (
        _r("api/aws_lambda_permission.route", "action", "lambda:InvokeFunction", "var.routes",
           ("routes", "local.t.routes")),
        _r("api/aws_lambda_permission.authorizer", "action", "lambda:InvokeFunction"),
    ), note="statement ids are local to each function: matched by kind"),
    Counterpart("apigateway.rest_api", "atelier-{env}-api", ("api.name",), (
        _r("api/aws_api_gateway_rest_api.this", "name", "var.api.name", None,
           ("api", "local.t.api")),)),
    Counterpart("logs.group", "/aws/lambda/{function}, /ecs/{family}, /aws/apigateway/{api}",
                ("lambdas.*.log_group", "pipelines.*.log_group", "api.log_group"), (
        _r("monitoring/aws_cloudwatch_log_group.this", "name", "each.key",
           "toset(var.log_group_names)", ("log_group_names", "local.log_groups")),)),
    Counterpart("logs.metric_filter", "/ecs/{family}:jobs-failed",
                ("pipelines.*[kind!=service].log_group",), (
        _r("monitoring/aws_cloudwatch_log_metric_filter.jobs_failed", "name", "jobs-failed",
           "toset(var.task_log_groups)", ("task_log_groups", "local.task_log_groups")),),
        name_format="{}:jobs-failed",
        note="on the task (not service) log groups; a filter is named within its log group"),
    Counterpart("cloudwatch.alarm", "atelier-{env}-{alarm}", ("alarms.*.name",), (
        _r("monitoring/aws_cloudwatch_metric_alarm.this", "alarm_name", "each.value.name",
           "var.alarms", ("alarms", "local.t.alarms")),)),
    Counterpart("canary.image", "atelier-{env}-inputs/canary/golden-image.png",
                ("buckets.inputs.name",), (
        _r("monitoring/aws_s3_object.canary_image", "key", "canary/golden-image.png"),),
        name_format="{}/canary/golden-image.png",
        note="the golden image the canary submits where sizes.canary_image_check is on"),
    Counterpart("drift.schedule", "atelier-{env}-drift-hourly", ("prefix",), (
        _r("drift_schedule/aws_cloudwatch_event_rule.drift", "name",
           "${var.name_prefix}drift-hourly", None, ("name_prefix", "local.t.prefix")),
        _r("drift_schedule/aws_cloudwatch_event_target.drift", "target_id", "drift"),
    ), name_format="{}drift-hourly",
        note="structured_data.drift_job every hour as an ECS task (EventBridge ECS target)"),
    Counterpart("drift.role", "atelier-{env}-drift-events", ("prefix",), (
        _r("drift_schedule/aws_iam_role.events", "name", "${var.name_prefix}drift-events"),),
        name_format="{}drift-events",
        note="assumed by EventBridge: ecs:RunTask of the family, iam:PassRole of its roles"),
    Counterpart("sns.topic", "atelier-{env}-alerts", ("alerts_topic",), (
        _r("monitoring/aws_sns_topic.alerts", "name", "var.alerts_topic", None,
           ("alerts_topic", "local.t.alerts_topic")),)),
)
# fmt: on

# Terraform resources that are settings of a deployer kind: the deployer applies the same
# setting inside the ensure_* call of that kind.
PART_OF: dict[str, str] = {
    "aws_s3_bucket_versioning": "s3.bucket",
    "aws_s3_bucket_server_side_encryption_configuration": "s3.bucket",
    "aws_s3_bucket_public_access_block": "s3.bucket",
    "aws_s3_bucket_ownership_controls": "s3.bucket",
    "aws_s3_bucket_lifecycle_configuration": "s3.bucket",
    "aws_s3_bucket_policy": "s3.bucket",
    "aws_s3_bucket_website_configuration": "s3.bucket",
    "aws_iam_role_policy": "iam.role",
    "aws_secretsmanager_secret_version": "secretsmanager.secret",
    "aws_vpc_security_group_ingress_rule": "ec2.security_group",
    "aws_vpc_security_group_egress_rule": "ec2.security_group",
    "aws_route_table": "ec2.vpc",
    "aws_route_table_association": "ec2.subnet",
    "aws_api_gateway_resource": "apigateway.rest_api",
    "aws_api_gateway_method": "apigateway.rest_api",
    "aws_api_gateway_integration": "apigateway.rest_api",
    "aws_api_gateway_method_response": "apigateway.rest_api",
    "aws_api_gateway_integration_response": "apigateway.rest_api",
    "aws_api_gateway_authorizer": "apigateway.rest_api",
    "aws_api_gateway_deployment": "apigateway.rest_api",
    "aws_api_gateway_stage": "apigateway.rest_api",
    "aws_api_gateway_method_settings": "apigateway.rest_api",
    "aws_api_gateway_request_validator": "apigateway.rest_api",
    "aws_api_gateway_gateway_response": "apigateway.rest_api",
    "aws_sns_topic_policy": "sns.topic",
    "aws_kms_key": "kms.key",
    # the function's code, uploaded where CreateFunction reads it (the deployer sends the same
    # zip inline)
    "aws_s3_object": "lambda.function",
}

# Terraform resources with no local counterpart, by type or by address, and why.
TERRAFORM_ONLY: dict[str, str] = {
    "aws_cloudfront_distribution": "CDN edge: locally the emulator serves the S3 website",
    "aws_cloudfront_origin_access_control": "part of the CloudFront distribution",
    "aws_cloudfront_response_headers_policy": "part of the CloudFront distribution",
    "aws_wafv2_web_acl": "optional WAF at the AWS edge; nothing to filter on loopback",
    "aws_wafv2_web_acl_association": "optional WAF at the AWS edge",
    "aws_budgets_budget": "cost budget: the local runtime costs nothing",
    "aws_autoscaling_group": "GPU EC2 capacity: the compute agent runs GPU tasks on this "
    "machine (GPU when present, CPU fallback)",
    "aws_launch_template": "GPU EC2 capacity (see aws_autoscaling_group)",
    "aws_iam_instance_profile": "GPU EC2 capacity (see aws_autoscaling_group)",
    "aws_ecs_capacity_provider": "GPU EC2 capacity (see aws_autoscaling_group)",
    "aws_ecs_cluster_capacity_providers": "GPU EC2 capacity (see aws_autoscaling_group)",
    "gpu_capacity/aws_iam_role.instance": "GPU EC2 capacity (see aws_autoscaling_group)",
    "aws_synthetics_canary": "the canary needs Synthetics' managed runtime; locally the e2e "
    "runner and the monitor loop call the API",
    "monitoring/aws_iam_role.canary": "the canary's role (see aws_synthetics_canary)",
    "monitoring/aws_cloudwatch_metric_alarm.canary": "alarm on the canary's success rate",
    "aws_flow_log": "VPC flow logs: no packets cross a VPC locally",
    "network/aws_iam_role.flow": "role of the VPC flow logs",
    "network/aws_cloudwatch_log_group.flow": "log group of the VPC flow logs",
    "aws_internet_gateway": "internet egress for the NAT: local processes use the host network",
    "aws_nat_gateway": "internet egress from private subnets: local processes use the host network",
    "aws_eip": "address of the NAT gateway",
    "aws_route": "routes to the internet gateway and the NAT",
    "network/aws_subnet.public": "holds only the NAT gateway",
    "aws_vpc_endpoint": "S3/DynamoDB gateway endpoints: locally everything is on loopback",
    "aws_default_security_group": "closes AWS's default group; the emulator has no default rules",
    "data/aws_iam_role.rds_monitoring": "RDS enhanced monitoring role",
    "aws_iam_role_policy_attachment": "AWS-managed policies of Terraform-only service roles "
    "(RDS monitoring, GPU instances, API Gateway logging)",
    "api/aws_iam_role.apigateway_logs": "account-wide API Gateway logging role",
    "aws_api_gateway_account": "account-wide API Gateway logging role",
    "aws_ecr_lifecycle_policy": "image retention in ECR: locally images are Dockerfiles",
    "aws_sns_topic_subscription": "e-mail subscribers of the alert topic (per env tfvars)",
    "aws_cloudwatch_query_definition": "saved Logs Insights queries: `atelier deploy` saves none "
    "(`atelier logs query <name>` runs the same files, terraform/modules/monitoring/queries); the "
    "runtime serves the API, so the Terraform engine applies them",
}

# Lambda environment variables Terraform sets beyond the expansion's (which both targets share):
# name -> why the local deploy leaves it unset. modules/stack builds them
# (lambda_terraform_only_env) and modules/api adds them to the functions' environment.
TERRAFORM_ONLY_ENV: dict[str, str] = {
    "GPU_CAPACITY_PROVIDER": "the GPU task's RunTask goes to the GPU EC2 capacity provider "
    "(capacityProviderStrategy, gpu_capacity module), set on the lambdas that run a gpu_task; "
    "MiniStack has no capacity providers, so locally RunTask uses launchType EC2 and the "
    "compute agent runs the task (GPU when present, CPU fallback)",
}

# Kinds the deployer reports that Terraform does not create, and why.
LOCAL_ONLY: dict[str, str] = {
    "s3.files": "the frontend build uploaded by `atelier deploy`; on AWS the CI/CD pipeline "
    "syncs frontend/dist to the bucket Terraform creates (files are not infrastructure)",
    "user": "the admin user `atelier deploy` writes to the users table; on AWS an operator "
    "creates users (data, not infrastructure)",
    "canary.function": "the every-minute model check as a Lambda (lambdas/canary); on AWS the "
    "Synthetics canary runs the same model_check module (aws_synthetics_canary)",
    "canary.schedule": "the canary Lambda's rate(1 minute) EventBridge rule (Synthetics' own "
    "schedule on AWS)",
    "canary.role": "the canary Lambda's role (monitoring/aws_iam_role.canary on AWS)",
    "canary.secret": "the monitoring user's password for the local canary; on AWS the canary "
    "reads var.canary_secret_arn",
}


def _values(node: Any, parts: list[str]) -> Iterable[Any]:
    if not parts:
        yield node
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for value in node.values():
            yield from _values(value, rest)
    elif head.startswith("*[") and "!=" in head:  # "*[kind!=service]": values but those
        key, _, excluded = head[2:-1].partition("!=")
        for value in node.values():
            if value.get(key) != excluded:
                yield from _values(value, rest)
    elif head == "*key":
        yield from node
    else:
        yield from _values(node[head], rest)


def expected_names(counterpart: Counterpart, expansion: Expansion) -> set[str] | None:
    """Names of that kind the deployer creates for ``expansion``; None if matched by kind."""
    if not counterpart.sources:
        return None
    dumped = expansion.model_dump()
    return {
        fmt.format(value)
        for fmt in (counterpart.name_format, *counterpart.also)
        for source in counterpart.sources
        for value in _values(dumped, source.split("."))
        if value is not None  # an optional name (a pipeline without a training role)
    }


def unmatched(changes: Iterable[tuple[str, str]], expansion: Expansion) -> list[str]:
    """(kind, name) pairs a deploy reported that this table does not predict, as messages."""
    rows = {c.kind: c for c in COUNTERPARTS}
    problems = []
    for kind, name in changes:
        if kind in LOCAL_ONLY:
            continue
        row = rows.get(kind)
        if row is None:
            problems.append(f"deployer kind {kind!r} ({name}) has no row in parity.COUNTERPARTS")
            continue
        names = expected_names(row, expansion)
        if names is not None and name not in names:
            problems.append(f"{kind} {name!r} is not a name Terraform creates: {sorted(names)}")
    return problems


def accounted_for(address: str) -> str | None:
    """Why a Terraform resource ``module/type.label`` is in the table, or None if it is not."""
    rtype = address.split("/", 1)[1].split(".", 1)[0]
    for row in COUNTERPARTS:
        if any(r.address == address for r in row.terraform):
            return f"counterpart of {row.kind}"
    if address in TERRAFORM_ONLY:
        return TERRAFORM_ONLY[address]
    if rtype in PART_OF:
        return f"setting of {PART_OF[rtype]}"
    if rtype in TERRAFORM_ONLY:
        return TERRAFORM_ONLY[rtype]
    return None
