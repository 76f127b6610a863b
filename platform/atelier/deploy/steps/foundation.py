"""The deploy steps of the foundation (network, data, secrets, logs, IAM, bundles): each turns
part of the expansion into ``ensure_*`` calls. The compute tier is in ``compute``, the
application edge in ``app``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

from atelier.deploy import (
    bundle,
    dynamodb,
    iam,
    kms,
    lambda_,
    monitoring,
    network,
    s3,
    secrets,
)
from atelier.deploy.context import DB_USERNAME, Deployment, availability_zones
from atelier.deploy.policies import Arns, execution_policies, lambda_policies, task_policies
from atelier.deploy.steps import Result, fan_out
from atelier.topology import Expansion


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


def key_step(d: Deployment) -> Result:
    arn, change = kms.ensure_key(d.clients, d.exp.prefix, d.account, d.tags)
    return arn, [change]


def buckets_step(d: Deployment) -> Result:
    # `atelier deploy` targets the runtime, where no CDN fronts the website bucket: it is served
    # publicly (IAM is enforced, so an anonymous GET needs the public-read policy); the data
    # buckets use the environment's key, the website SSE-S3 (as terraform/modules does)
    calls = [
        partial(
            s3.ensure_bucket,
            d.clients,
            b.name,
            versioned=b.versioned,
            website=b.website,
            public_website=b.website,
            tags=d.tags,
            kms_key_arn=None if b.website else d.results["key"],
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
            indexes=t.indexes,
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
    changes = monitoring.ensure_log_groups(d.clients, names, d.exp.log_retention_days)
    return None, changes + monitoring.ensure_metric_filters(d.clients, task_log_groups(d.exp))


def task_log_groups(exp: Expansion) -> list[str]:
    """The log groups of the pipelines that are jobs (not services): JobsFailed is counted there."""
    return sorted(p.log_group for p in exp.pipelines.values() if p.kind != "service")


def topic_step(d: Deployment) -> Result:
    arn, change = monitoring.ensure_topic(d.clients, d.exp.alerts_topic)
    return arn, [change]


def bundles_step(d: Deployment) -> Result:
    root = d.settings.repo_root
    sources = sorted({fn.source for fn in d.exp.lambdas.values()})
    built = {src: bundle.build_dir(src, root / src) for src in sources}
    built["layer"] = bundle.build_layer(root)
    built["deps_layer"] = bundle.build_deps_layer(root, d.settings.cache_dir)
    return built, []


def roles_step(d: Deployment) -> Result:
    arns = Arns(d.region, d.account, d.results["key"])
    lambda_trust, task_trust = "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"
    wanted = [
        (fn.role_name, lambda_trust, lambda_policies(d.exp, fn, arns))
        for fn in d.exp.lambdas.values()
    ]
    for pipe in d.exp.pipelines.values():
        wanted.append((pipe.task_role_name, task_trust, task_policies(pipe, arns)))
        wanted.append((pipe.execution_role_name, task_trust, execution_policies(pipe, arns)))
        if pipe.training_role_name:
            docs = task_policies(pipe, arns, training=True)
            wanted.append((pipe.training_role_name, task_trust, docs))
    existing = iam.list_roles(d.clients, d.exp.prefix)
    roles = fan_out(
        [
            partial(iam.ensure_role, d.clients, name, trust, docs, d.tags, existing)
            for name, trust, docs in wanted
        ]
    )
    return {r.name: r.arn for r in roles}, [r.change for r in roles]


def layer_step(d: Deployment) -> Result:
    arn, change = lambda_.ensure_layer(d.clients, d.exp.layer_name, d.results["bundles"]["layer"])
    return arn, [change]


def deps_layer_name(d: Deployment) -> str:
    """The third-party layer's name, as Terraform's ``${var.layer_name}-deps``."""
    return f"{d.exp.layer_name}-deps"


def deps_layer_step(d: Deployment) -> Result:
    bundles = d.results["bundles"]
    arn, change = lambda_.ensure_layer(d.clients, deps_layer_name(d), bundles["deps_layer"])
    return arn, [change]
