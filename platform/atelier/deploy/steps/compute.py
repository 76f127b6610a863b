"""The deploy steps of the compute tier: database, ECR, ECS (cluster, task definitions, the
service) and the internal ALB in front of it."""

from __future__ import annotations

from functools import partial
from typing import Any

from atelier.deploy import autoscaling, ecr, ecs, elbv2, rds, secrets
from atelier.deploy.change import Change
from atelier.deploy.context import Deployment, db_subnet_group
from atelier.deploy.steps import Result, fan_out


def repositories_step(d: Deployment) -> Result:
    return None, ecr.ensure_repositories(d.clients, sorted(d.exp.repositories.values()), d.tags)


def cluster_step(d: Deployment) -> Result:
    return None, [ecs.ensure_cluster(d.clients, d.exp.cluster, d.tags)]


def database_step(d: Deployment) -> Result:
    db, net = d.exp.database, d.results["network"]
    secret_name = d.exp.secrets[db.credentials]
    creds = secrets.read_json(d.clients, secret_name)
    spec = rds.DatabaseSpec(
        identifier=db.identifier,
        subnet_group=db_subnet_group(d.exp),
        engine=db.engine,
        engine_version=db.engine_version,
        instance_class=db.instance_class,
        allocated_storage=db.allocated_storage,
        db_name=db.db_name,
        username=creds["username"],
    )
    made = rds.ensure_database(
        d.clients, spec, creds["password"], list(net.subnet_ids), net.security_groups["db"], d.tags
    )
    # sslmode: the instance forces TLS (rds.force_ssl in its parameter group)
    endpoint = {"host": made.host, "port": made.port, "sslmode": "require"}
    change = secrets.merge_json(d.clients, secret_name, endpoint)
    return made, [*made.changes, change]


def load_balancer_step(d: Deployment) -> Result:
    net = d.results["network"]
    made = {}
    changes: list[Change] = []
    for name, svc in d.exp.services.items():
        lb = elbv2.ensure_load_balancer(
            d.clients,
            svc.alb_name,
            svc.target_group_name,
            net.vpc_id,
            list(net.subnet_ids),
            net.security_groups["alb"],
            svc.port,
            svc.health_path,
            d.tags,
        )
        made[name] = lb
        changes += lb.changes
    return made, changes


def _container(d: Deployment, name: str) -> dict[str, Any]:
    pipe = d.exp.pipelines[name]
    env = {**pipe.environment, **d.resolve(pipe.environment_refs)}
    container: dict[str, Any] = {
        "name": pipe.container_name,
        "image": d.image_uri(pipe.image),
        "essential": True,
        "environment": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": pipe.log_group,
                "awslogs-region": d.region,
                "awslogs-stream-prefix": pipe.container_name,
            },
        },
    }
    if pipe.port:
        container["portMappings"] = [{"containerPort": pipe.port, "protocol": "tcp"}]
    if pipe.gpu:
        container["resourceRequirements"] = [{"type": "GPU", "value": str(pipe.gpu)}]
    return container


def task_definitions_step(d: Deployment) -> Result:
    roles = d.results["roles"]
    calls = []
    for name, pipe in d.exp.pipelines.items():
        definition = {
            "family": pipe.family,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["EC2"] if pipe.kind == "gpu_task" else ["FARGATE"],
            "cpu": str(pipe.cpu),
            "memory": str(pipe.memory),
            "taskRoleArn": roles[pipe.task_role_name],
            "executionRoleArn": roles[pipe.execution_role_name],
            "containerDefinitions": [_container(d, name)],
            "tags": [{"key": k, "value": v} for k, v in d.tags.items()],
        }
        calls.append(partial(ecs.ensure_task_definition, d.clients, definition))
    made = fan_out(calls)
    arns = {name: t.arn for name, t in zip(d.exp.pipelines, made, strict=True)}
    return arns, [t.change for t in made]


def service_step(d: Deployment) -> Result:
    net, lbs, tds = d.results["network"], d.results["load_balancer"], d.results["task_definitions"]
    made: dict[str, Change] = {}
    for name, svc in d.exp.services.items():
        made[name] = ecs.ensure_service(
            d.clients,
            d.exp.cluster,
            svc.name,
            tds[name],
            svc.desired_count,
            list(net.subnet_ids),
            [net.security_groups["service"]],
            lbs[name].target_group_arn,
            d.exp.pipelines[name].container_name,
            svc.port,
            d.tags,
        )
    return made, list(made.values())


def scaling_step(d: Deployment) -> Result:
    """Each service's autoscaling between its desired and max task counts (CPU target)."""
    changes = [
        change
        for svc in d.exp.services.values()
        for change in autoscaling.ensure_scaling(
            d.clients, d.exp.cluster, svc.name, svc.desired_count, svc.max_count
        )
    ]
    return None, changes
