"""The deploy steps: each turns part of the expansion into ``ensure_*`` calls.

A step takes the :class:`Deployment`, reads the results of the steps it depends on (see
:mod:`atelier.deploy.plan`) and returns ``(result, changes)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from atelier.deploy import (
    bundle,
    dynamodb,
    ecr,
    ecs,
    elbv2,
    iam,
    lambda_,
    monitoring,
    network,
    rds,
    s3,
    secrets,
)
from atelier.deploy.change import Change
from atelier.deploy.context import DB_USERNAME, Deployment, availability_zones, db_subnet_group
from atelier.deploy.policies import Arns, execution_policies, lambda_policies, task_policies

T = TypeVar("T")
Result = tuple[Any, list[Change]]


def fan_out(calls: Sequence[Callable[[], T]], workers: int = 8) -> list[T]:
    """Run independent zero-argument calls concurrently; results keep the calls' order."""
    if len(calls) <= 1:
        return [c() for c in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
        futures = [pool.submit(c) for c in calls]
        return [f.result() for f in futures]


def network_step(d: Deployment) -> Result:
    net = d.exp.network
    azs = availability_zones(d.region, len(net.private_subnets))
    subnets = {
        name: (cidr, az) for (name, cidr), az in zip(net.private_subnets.items(), azs, strict=True)
    }
    ports = [s.port for s in d.exp.services.values()]
    result = network.ensure_network(
        d.clients,
        net.vpc_name,
        net.cidr,
        subnets,
        net.security_groups,
        network.security_rules(service_port=ports[0] if ports else 8080),
        d.tags,
    )
    return result, list(result.changes)


def buckets_step(d: Deployment) -> Result:
    local = d.exp.env == "local"
    calls = [
        partial(
            s3.ensure_bucket,
            d.clients,
            b.name,
            versioned=b.versioned,
            website=b.website,
            public_website=b.website and local,
            tags=d.tags,
        )
        for b in d.exp.buckets.values()
    ]
    return None, fan_out(calls)


def tables_step(d: Deployment) -> Result:
    calls = [
        partial(
            dynamodb.ensure_table,
            d.clients,
            t.name,
            t.hash_key,
            ttl_attribute=t.ttl_attribute,
            tags=d.tags,
        )
        for t in d.exp.tables.values()
    ]
    return None, fan_out(calls)


def _generate(key: str, d: Deployment) -> Callable[[], str]:
    """How a missing secret is made: the database's credentials, else a random key."""
    db = d.exp.database
    if key == db.credentials:
        return lambda: json.dumps(  # evaluated only when the secret is missing
            {
                "username": DB_USERNAME,
                "password": secrets.db_password(),
                "dbname": db.db_name,
                "engine": db.engine,
                "host": "",
                "port": 5432,
            },
            sort_keys=True,
        )
    return secrets.jwt_signing_key  # the JWT signing key, or any other secret


def secrets_step(d: Deployment) -> Result:
    keys = list(d.exp.secrets)
    made = fan_out(
        [
            partial(
                secrets.ensure_secret, d.clients, d.exp.secrets[k], _generate(k, d), tags=d.tags
            )
            for k in keys
        ]
    )
    return {k: s.arn for k, s in zip(keys, made, strict=True)}, [s.change for s in made]


def logs_step(d: Deployment) -> Result:
    names = sorted(
        {
            *(fn.log_group for fn in d.exp.lambdas.values()),
            *(p.log_group for p in d.exp.pipelines.values()),
            d.exp.api.log_group,
        }
    )
    return None, monitoring.ensure_log_groups(d.clients, names, d.exp.log_retention_days)


def topic_step(d: Deployment) -> Result:
    arn, change = monitoring.ensure_topic(d.clients, d.exp.alerts_topic)
    return arn, [change]


def repositories_step(d: Deployment) -> Result:
    return None, ecr.ensure_repositories(d.clients, sorted(d.exp.repositories.values()), d.tags)


def cluster_step(d: Deployment) -> Result:
    return None, [ecs.ensure_cluster(d.clients, d.exp.cluster, d.tags)]


def bundles_step(d: Deployment) -> Result:
    root = d.settings.repo_root
    sources = sorted({fn.source for fn in d.exp.lambdas.values()})
    built = {src: bundle.build_dir(src, root / src) for src in sources}
    built["layer"] = bundle.build_layer(root / "lambdas" / "shared")
    return built, []


def roles_step(d: Deployment) -> Result:
    arns = Arns(d.region, d.account)
    lambda_trust, task_trust = "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"
    calls = [
        partial(
            iam.ensure_role,
            d.clients,
            fn.role_name,
            lambda_trust,
            lambda_policies(d.exp, fn, arns),
            d.tags,
        )
        for fn in d.exp.lambdas.values()
    ]
    for pipe in d.exp.pipelines.values():
        calls.append(
            partial(
                iam.ensure_role,
                d.clients,
                pipe.task_role_name,
                task_trust,
                task_policies(pipe, arns),
                d.tags,
            )
        )
        calls.append(
            partial(
                iam.ensure_role,
                d.clients,
                pipe.execution_role_name,
                task_trust,
                execution_policies(pipe, arns),
                d.tags,
            )
        )
    roles = fan_out(calls)
    return {r.name: r.arn for r in roles}, [r.change for r in roles]


def layer_step(d: Deployment) -> Result:
    arn, change = lambda_.ensure_layer(d.clients, d.exp.layer_name, d.results["bundles"]["layer"])
    return arn, [change]


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
    change = secrets.merge_json(d.clients, secret_name, {"host": made.host, "port": made.port})
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
