"""The deploy graph: every step with the steps it needs. Independent steps run concurrently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from atelier.deploy.context import Deployment
from atelier.deploy.steps import Result
from atelier.deploy.steps import app as steps_app
from atelier.deploy.steps import compute as steps_compute
from atelier.deploy.steps import foundation as steps


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    run: Callable[[Deployment], Result]
    needs: tuple[str, ...] = ()


DEPLOY: tuple[Step, ...] = (
    Step("network", "VPC, private subnets, security groups", steps.network_step),
    Step("key", "KMS key", steps.key_step),
    Step("buckets", "S3 buckets", steps.buckets_step, ("key",)),
    Step("tables", "DynamoDB tables", steps.tables_step),
    Step("secrets", "Secrets Manager secrets", steps.secrets_step),
    Step("logs", "CloudWatch log groups", steps.logs_step),
    Step("topic", "SNS alert topic", steps.topic_step),
    Step("repositories", "ECR repositories", steps_compute.repositories_step),
    Step("cluster", "ECS cluster", steps_compute.cluster_step),
    Step("bundles", "lambda bundles", steps.bundles_step),
    Step("roles", "IAM roles and policies", steps.roles_step, ("key",)),
    Step("layer", "lambda layer", steps.layer_step, ("bundles",)),
    Step("deps_layer", "lambda dependency layer", steps.deps_layer_step, ("bundles",)),
    Step("database", "RDS PostgreSQL", steps_compute.database_step, ("network", "secrets")),
    Step("load_balancer", "internal ALB", steps_compute.load_balancer_step, ("network",)),
    Step(
        "task_definitions",
        "ECS task definitions",
        steps_compute.task_definitions_step,
        ("roles", "secrets", "network", "logs", "repositories"),
    ),
    Step(
        "service",
        "ECS service",
        steps_compute.service_step,
        ("cluster", "task_definitions", "load_balancer", "network"),
    ),
    Step("scaling", "service autoscaling", steps_compute.scaling_step, ("service",)),
    Step(
        "functions",
        "lambda functions",
        steps_app.functions_step,
        ("bundles", "layer", "deps_layer", "roles", "secrets", "network", "logs"),
    ),
    Step("api", "API Gateway", steps_app.api_step, ("functions",)),
    Step("site", "frontend website", steps_app.site_step, ("buckets", "api")),
    Step("users", "API user", steps_app.users_step, ("tables",)),
    Step("alarms", "alarms", steps_app.alarms_step, ("topic", "load_balancer", "api")),
    Step("canary", "model check every minute", steps_app.canary_step, ("api", "tables")),
    Step(
        "drift",
        "drift check every hour",
        steps_app.drift_step,
        ("task_definitions", "cluster", "network", "roles"),
    ),
    Step("service_ready", "service tasks", steps_app.service_ready_step, ("service",)),
)


def check(plan: tuple[Step, ...]) -> None:
    """Every dependency names an earlier step (so the graph has no cycle)."""
    seen: set[str] = set()
    for step in plan:
        unknown = [n for n in step.needs if n not in seen]
        if unknown:
            raise ValueError(f"step {step.name} needs {unknown}, which do not come before it")
        seen.add(step.name)


check(DEPLOY)
