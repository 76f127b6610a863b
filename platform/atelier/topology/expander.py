"""``expand(topology, env)``: the concrete maps that ``atelier deploy`` and Terraform both build.

A pure function of the topology and an environment name, JSON-serializable through
``Expansion.model_dump()``. ``terraform/modules/topology`` computes the same maps with
``yamldecode`` and HCL expressions; ``tests/integration/terraform/test_topology_module.py``
holds the two equal, so any change here needs the same change in
``terraform/modules/topology/main.tf``.

Values known only once resources exist (secret ARNs, subnet ids, the service URL) are given as
references in ``environment_refs``; each target resolves them its own way:
``secret:<name>`` (ARN), ``service_url:<service>``, ``subnets:private``,
``security_group:<role>`` (id).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from atelier.topology.expansion_models import (
    Alarm,
    Api,
    Bucket,
    Database,
    Expansion,
    LambdaFn,
    Network,
    Permissions,
    Pipeline,
    Route,
    Service,
    Table,
)
from atelier.topology.models import Access, Topology

__all__ = [
    "Alarm", "Api", "Bucket", "Database", "Expansion", "LambdaFn", "Network", "Permissions",
    "Pipeline", "Route", "Service", "Table", "expand",
]  # fmt: skip

LAMBDA_RUNTIME = "python3.11"


SECURITY_GROUP_ROLES = ("lambda", "alb", "service", "tasks", "db")


def _permissions(p: str, access: Access, run_tasks: list[str], cluster: str) -> Permissions:
    def names(items: Mapping[str, str], level: str) -> list[str]:
        return sorted(f"{p}{n}" for n, lvl in items.items() if lvl == level)

    return Permissions(
        tables_read=names(access.tables, "read"),
        tables_write=names(access.tables, "write"),
        buckets_read=names(access.buckets, "read"),
        buckets_write=names(access.buckets, "write"),
        secrets=sorted(f"{p}{s}" for s in access.secrets),
        run_tasks=sorted(run_tasks),
        tasks_read=[cluster] if run_tasks or access.tasks == "read" else [],
        prefixes_read=sorted(f"{p}{b}/{prefix}" for b, prefix in access.prefixes.items()),
        alarms_read=[p] if access.alarms == "read" else [],
        prefixes_write=sorted(f"{p}{b}/{prefix}" for b, prefix in access.write_prefixes.items()),
        metrics_write=sorted(access.metrics),
    )


def _common_env(top: Topology, env: str, p: str) -> dict[str, str]:
    """Static variables from docs/contracts.md that every lambda and task receives."""
    out = {
        "ATELIER_ENV": env,
        "JOBS_TABLE": f"{p}jobs",
        "IDEMPOTENCY_TABLE": f"{p}idempotency",
        "USERS_TABLE": f"{p}users",
        "INPUTS_BUCKET": f"{p}inputs",
        "RESULTS_BUCKET": f"{p}results",
        "MODELS_BUCKET": f"{p}models",
        "ARTIFACTS_BUCKET": f"{p}artifacts",
        "JWT_ISSUER": top.api.jwt_issuer,
        "JWT_AUDIENCE": top.api.jwt_audience,
        "ECS_CLUSTER": f"{top.project}-{env}",
        "LINK_ALLOWLIST": ",".join(top.environments[env].link_allowlist),
    }
    for name, pipe in top.pipelines.items():
        if pipe.task_definition_var:
            out[pipe.task_definition_var] = f"{p}{name}"
    return out


COMMON_REFS = {
    "JWT_SECRET_ARN": "secret:jwt",
    "DB_SECRET_ARN": "secret:db",
    "SUBNETS": "subnets:private",
    "SECURITY_GROUPS": "security_group:tasks",
}


def _service_refs(top: Topology) -> dict[str, str]:
    services = sorted(n for n, pipe in top.pipelines.items() if pipe.kind == "service")
    return {"SERVICE_URL": f"service_url:{services[0]}"} if services else {}


def expand(top: Topology, env: str) -> Expansion:
    """The concrete resources of ``env``: names, routes, env vars, sizes, permissions."""
    if env not in top.environments:
        raise KeyError(f"unknown environment {env!r}; topology.yaml has {sorted(top.environments)}")
    environment = top.environments[env]
    sizes = environment.sizes
    p = f"{top.project}-{env}-"
    cluster = f"{top.project}-{env}"
    common = _common_env(top, env, p)
    refs = {**COMMON_REFS, **_service_refs(top)}
    authorizer = next(n for n, fn in top.lambdas.items() if fn.authorizer)

    lambdas = {
        name: LambdaFn(
            function_name=f"{p}{name}",
            role_name=f"{p}{name}-lambda",
            source=fn.source or f"lambdas/{name}",
            handler=fn.handler,
            runtime=LAMBDA_RUNTIME,
            timeout=fn.timeout,
            memory=fn.memory,
            authorizer=fn.authorizer,
            in_vpc=fn.calls is not None,
            log_group=f"/aws/lambda/{p}{name}",
            environment=dict(common),
            environment_refs=dict(refs),
            permissions=_permissions(p, fn.access, [f"{p}{fn.runs}"] if fn.runs else [], cluster),
        )
        for name, fn in top.lambdas.items()
    }
    routes = {
        f"{fn.route.method} {fn.route.path}": Route(
            path=fn.route.path,
            method=fn.route.method,
            lambda_name=name,
            function_name=f"{p}{name}",
            authorized=fn.authorized,
        )
        for name, fn in top.lambdas.items()
        if fn.route is not None
    }
    pipelines = {
        name: Pipeline(
            kind=pipe.kind,
            max_runtime_minutes=pipe.max_runtime_minutes,
            family=f"{p}{name}",
            container_name=name,
            image=f"{top.project}/{name}",
            image_dir=pipe.image,
            cpu=pipe.cpu,
            memory=pipe.memory,
            gpu=pipe.gpu,
            port=pipe.port,
            health_path=pipe.health_path,
            task_role_name=f"{p}{name}-task",
            execution_role_name=f"{p}{name}-exec",
            log_group=f"/ecs/{p}{name}",
            environment={
                **common,
                **({"PORT": str(pipe.port)} if pipe.port is not None else {}),
                **pipe.env,
            },
            environment_refs={k: v for k, v in refs.items() if k != "SERVICE_URL"},
            permissions=_permissions(p, pipe.access, [], cluster),
            training_role_name=f"{p}{name}-train" if pipe.training else None,
            training_permissions=(
                _permissions(p, pipe.training.access, [], cluster) if pipe.training else None
            ),
        )
        for name, pipe in top.pipelines.items()
    }
    services = {
        name: Service(
            name=f"{p}{name}",
            pipeline=name,
            family=f"{p}{name}",
            desired_count=sizes.services[name].desired,
            max_count=sizes.services[name].max,
            port=pipe.port or 0,
            health_path=pipe.health_path or "/",
            alb_name=f"{p}{pipe.short_name}",
            target_group_name=f"{p}{pipe.short_name}-tg",
        )
        for name, pipe in top.pipelines.items()
        if pipe.kind == "service"
    }
    subnets = list(ipaddress.ip_network(top.network.cidr).subnets(prefixlen_diff=8))
    network = Network(
        vpc_name=f"{p}vpc",
        cidr=top.network.cidr,
        private_subnets={
            f"{p}private-{i}": str(subnets[i]) for i in range(top.network.private_subnets)
        },
        security_groups={role: f"{p}{role}" for role in SECURITY_GROUP_ROLES},
    )
    return Expansion(
        env=env,
        project=top.project,
        prefix=p,
        region=environment.region,
        account_id=environment.account_id,
        cluster=cluster,
        alerts_topic=f"{p}alerts",
        gpu_capacity_provider=f"{p}gpu",
        gpu_max_instances=sizes.gpu_max_instances,
        monthly_budget_usd=sizes.monthly_budget_usd,
        log_retention_days=sizes.log_retention_days,
        canary_image_check=sizes.canary_image_check,
        layer_name=f"{p}shared",
        network=network,
        api=Api(
            name=f"{p}api",
            stage=top.api.stage,
            authorizer_name=f"{p}{authorizer}",
            authorizer_lambda=authorizer,
            identity_source="method.request.header.Authorization",
            authorizer_ttl_seconds=top.api.authorizer_ttl_seconds,
            rate_limit=sizes.api_rate_limit,
            burst_limit=sizes.api_burst_limit,
            cors_origins=list(top.api.cors_origins),
            log_group=f"/aws/apigateway/{p}api",
        ),
        routes=routes,
        lambdas=lambdas,
        pipelines=pipelines,
        services=services,
        repositories={name: f"{top.project}/{name}" for name in top.pipelines},
        tables={
            name: Table(
                name=f"{p}{name}",
                hash_key=t.hash_key,
                ttl_attribute=t.ttl_attribute,
                indexes={i: ix.model_dump() for i, ix in t.indexes.items()},
            )
            for name, t in top.tables.items()
        },
        buckets={
            name: Bucket(name=f"{p}{name}", website=b.website, versioned=b.versioned)
            for name, b in top.buckets.items()
        },
        secrets={name: f"{p}{name}" for name in top.secrets},
        database=Database(
            identifier=f"{p}db",
            engine=top.database.engine,
            engine_version=top.database.engine_version,
            instance_class=top.database.instance_class,
            db_name=top.database.db_name,
            allocated_storage=top.database.allocated_storage,
            credentials="db",
        ),
        alarms={
            name: Alarm(
                name=f"{p}{name}",
                metric=a.metric,
                namespace=a.namespace,
                threshold=a.threshold,
                period=a.period,
                evaluation_periods=a.evaluation_periods,
                statistic=a.statistic,
                datapoints_to_alarm=a.datapoints_to_alarm or a.evaluation_periods,
                comparison=a.comparison,
                treat_missing_data=a.treat_missing_data,
                description=a.description,
                dimensions=dict(a.dimensions),
            )
            for name, a in top.alarms.items()
        },
    )
