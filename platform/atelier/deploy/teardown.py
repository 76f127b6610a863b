"""``atelier destroy``: everything the deploy creates, removed in reverse dependency order.

Resources are found by name (not from outputs.json), so destroy works after a lost or partial
deploy, and a resource that is already gone is reported as absent, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from atelier.deploy import (
    apigateway,
    autoscaling,
    canary,
    drift,
    dynamodb,
    ecr,
    ecs,
    elbv2,
    iam,
    kms,
    lambda_,
    monitoring,
    network,
    rds,
    s3,
    secrets,
)
from atelier.deploy.change import Change, absent, deleted
from atelier.deploy.context import Deployment, db_subnet_group
from atelier.deploy.outputs import OUTPUTS_FILE
from atelier.deploy.plan import Step, check
from atelier.deploy.steps import Result, fan_out
from atelier.deploy.users import CREDENTIALS_FILE

Call = Callable[[], Change | list[Change]]


def _many(calls: list[Call]) -> Result:
    out: list[Change] = []
    for item in fan_out(calls):
        out += item if isinstance(item, list) else [item]
    return None, out


def api(d: Deployment) -> Result:
    return None, [apigateway.remove_api(d.clients, d.exp.api.name)]


def canary_check(d: Deployment) -> Result:
    return None, canary.remove(d.clients, d.exp.prefix) + drift.remove(d.clients, d.exp.prefix)


def alarms(d: Deployment) -> Result:
    return None, monitoring.remove_alarms(d.clients, [a.name for a in d.exp.alarms.values()])


def service(d: Deployment) -> Result:
    services = d.exp.services.values()
    _, scaling = _many(
        [partial(autoscaling.remove_scaling, d.clients, d.exp.cluster, s.name) for s in services]
    )
    _, removed = _many(
        [partial(ecs.remove_service, d.clients, d.exp.cluster, s.name) for s in services]
    )
    return None, [*scaling, *removed]


def functions(d: Deployment) -> Result:
    fns = d.exp.lambdas.values()
    return _many([partial(lambda_.remove_function, d.clients, f.function_name) for f in fns])


def layer(d: Deployment) -> Result:
    return None, [
        lambda_.remove_layer(d.clients, name)
        for name in (d.exp.layer_name, f"{d.exp.layer_name}-deps")
    ]


def load_balancer(d: Deployment) -> Result:
    return _many(
        [
            partial(elbv2.remove_load_balancer, d.clients, s.alb_name, s.target_group_name)
            for s in d.exp.services.values()
        ]
    )


def compute(d: Deployment) -> Result:
    calls: list[Call] = [
        partial(ecs.remove_task_definitions, d.clients, p.family) for p in d.exp.pipelines.values()
    ]
    calls.append(partial(ecs.remove_cluster, d.clients, d.exp.cluster))
    calls += [partial(ecr.remove_repository, d.clients, r) for r in d.exp.repositories.values()]
    return _many(calls)


def database(d: Deployment) -> Result:
    return None, rds.remove_database(d.clients, d.exp.database.identifier, db_subnet_group(d.exp))


def data(d: Deployment) -> Result:
    calls: list[Call] = [
        partial(s3.remove_bucket, d.clients, b.name) for b in d.exp.buckets.values()
    ]
    calls += [partial(dynamodb.remove_table, d.clients, t.name) for t in d.exp.tables.values()]
    calls += [partial(secrets.remove_secret, d.clients, n) for n in d.exp.secrets.values()]
    return _many(calls)


def observability(d: Deployment) -> Result:
    groups = {
        *(f.log_group for f in d.exp.lambdas.values()),
        *(p.log_group for p in d.exp.pipelines.values()),
        d.exp.api.log_group,
    }
    calls: list[Call] = [partial(monitoring.remove_log_group, d.clients, g) for g in sorted(groups)]
    calls.append(partial(monitoring.remove_topic, d.clients, d.exp.alerts_topic))
    return _many(calls)


def roles(d: Deployment) -> Result:
    names = [f.role_name for f in d.exp.lambdas.values()]
    for p in d.exp.pipelines.values():
        names += [p.task_role_name, p.execution_role_name]
        names += [p.training_role_name] if p.training_role_name else []
    return _many([partial(iam.remove_role, d.clients, n) for n in names])


def key(d: Deployment) -> Result:
    return None, [kms.remove_key(d.clients, d.exp.prefix)]


def net(d: Deployment) -> Result:
    return None, network.remove_network(d.clients, d.exp.network.vpc_name)


def local_files(d: Deployment) -> Result:
    changes = []
    for name in (OUTPUTS_FILE, CREDENTIALS_FILE):
        path = d.settings.home / name
        if path.exists():
            path.unlink()
            changes.append(deleted("file", str(path)))
        else:
            changes.append(absent("file", str(path)))
    return None, changes


DESTROY: tuple[Step, ...] = (
    Step("api", "API Gateway", api),
    Step("alarms", "alarms", alarms),
    Step("canary", "model check", canary_check),
    Step("service", "ECS service", service),
    Step("functions", "lambda functions", functions, ("api",)),
    Step("layer", "lambda layer", layer, ("functions",)),
    Step("load_balancer", "internal ALB", load_balancer, ("service",)),
    Step("compute", "task definitions, cluster, repositories", compute, ("service",)),
    Step("database", "RDS PostgreSQL", database),
    Step("data", "buckets, tables, secrets", data, ("database", "functions", "service")),
    Step("observability", "log groups and alert topic", observability, ("alarms", "functions")),
    Step("roles", "IAM roles", roles, ("functions", "compute")),
    Step("key", "KMS key (deletion scheduled)", key, ("data", "roles")),
    Step(
        "network",
        "VPC, subnets, security groups",
        net,
        ("database", "load_balancer", "functions", "compute"),
    ),
    Step("local_files", "outputs and credentials files", local_files, ("data",)),
)
check(DESTROY)
