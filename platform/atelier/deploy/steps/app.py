"""The deploy steps of the application edge: lambdas, API, website, users, alarms, readiness."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import partial

from atelier.deploy import apigateway, canary, drift, ecs, lambda_, monitoring, s3, users
from atelier.deploy.change import Change
from atelier.deploy.context import Deployment, alarm_dimensions
from atelier.deploy.steps import Result, fan_out

PLACEHOLDER = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Atelier</title></head>"
    "<body><h1>Atelier</h1><p>The frontend is not built yet: run <code>npm ci && npm run build"
    "</code> in <code>frontend/</code>, then <code>atelier deploy</code>.</p></body></html>"
)


def functions_step(d: Deployment) -> Result:
    bundles, roles, net = d.results["bundles"], d.results["roles"], d.results["network"]
    layers = [d.results["deps_layer"], d.results["layer"]]  # Terraform's order
    calls: list[Callable[[], lambda_.Function]] = []
    for fn in d.exp.lambdas.values():
        spec = lambda_.FunctionSpec(
            name=fn.function_name,
            handler=fn.handler,
            role_arn=roles[fn.role_name],
            timeout=fn.timeout,
            memory=fn.memory,
            env={**fn.environment, **d.resolve(fn.environment_refs)},
            layers=layers,
            subnets=list(net.subnet_ids) if fn.in_vpc else [],
            security_groups=[net.security_groups["lambda"]] if fn.in_vpc else [],
            tags=d.tags,
        )
        calls.append(partial(lambda_.ensure_function, d.clients, spec, bundles[fn.source]))
    made = fan_out(calls)
    return {f.name: f.arn for f in made}, [f.change for f in made]


def api_step(d: Deployment) -> Result:
    arns = d.results["functions"]
    routes = [
        apigateway.Route(r.path, r.method, arns[r.function_name], r.authorized)
        for r in d.exp.routes.values()
    ]
    authorizer = d.exp.lambdas[d.exp.api.authorizer_lambda]
    origin = d.exp.api.cors_origins[0] if d.exp.api.cors_origins else "*"
    api = apigateway.ensure_api(
        d.clients,
        d.exp.api.name,
        d.exp.api.stage,
        routes,
        arns[authorizer.function_name],
        origin,
        apigateway.StageSettings(
            rate_limit=d.exp.api.rate_limit,
            burst_limit=d.exp.api.burst_limit,
            access_log_arn=f"arn:aws:logs:{d.region}:{d.account}:log-group:{d.exp.api.log_group}",
            authorizer_ttl_seconds=d.exp.api.authorizer_ttl_seconds,
        ),
        d.tags,
    )
    source = f"arn:aws:execute-api:{d.region}:{d.account}:{api.id}"
    perms = [
        partial(
            lambda_.ensure_permission,
            d.clients,
            r.function_name,
            f"{source}/*/{r.method}{_arn_path(r.path)}",
            "apigateway",
        )
        for r in d.exp.routes.values()
    ]
    perms.append(
        partial(
            lambda_.ensure_permission,
            d.clients,
            authorizer.function_name,
            f"{source}/authorizers/*",
            "apigateway-authorizer",
        )
    )
    return api, [*api.changes, *fan_out(perms)]


def _arn_path(path: str) -> str:
    """Path parameters become wildcards in an execute-api ARN."""
    return "/".join("*" if part.startswith("{") else part for part in path.split("/"))


def site_step(d: Deployment) -> Result:
    bucket = d.exp.buckets["frontend"].name
    config = {
        "apiUrl": d.api_url(d.results["api"].id),
        "inputsBucket": d.exp.buckets["inputs"].name,
        "env": d.exp.env,
        "region": d.region,
        "s3Endpoint": d.local_endpoint,
        "uploads": False,
    }
    extra = {"config.json": json.dumps(config, indent=2, sort_keys=True).encode()}
    dist = d.settings.repo_root / "frontend" / "dist"
    files = s3.site_files(dist if dist.is_dir() else None, PLACEHOLDER, extra)
    return None, [s3.sync_files(d.clients, bucket, files)]


def users_step(d: Deployment) -> Result:
    hasher = users.password_hasher()
    account = users.ensure_admin(
        d.clients, d.exp.tables["users"].name, d.settings.home, hasher=hasher
    )
    return account, [account.change]


def alarms_step(d: Deployment) -> Result:
    alarms = [
        monitoring.Alarm(
            name=a.name,
            namespace=a.namespace,
            metric=a.metric,
            threshold=a.threshold,
            period=a.period,
            statistic=a.statistic,
            dimensions={**alarm_dimensions(d.exp, a.namespace, d.results), **a.dimensions},
            description=a.description
            or f"{a.namespace}/{a.metric} {a.comparison} {a.threshold:g} ({d.exp.env})",
            evaluation_periods=a.evaluation_periods,
            datapoints_to_alarm=a.datapoints_to_alarm,
            comparison=a.comparison,
            treat_missing_data=a.treat_missing_data,
        )
        for a in d.exp.alarms.values()
    ]
    return None, monitoring.ensure_alarms(d.clients, alarms, d.results["topic"])


def canary_step(d: Deployment) -> Result:
    hasher = users.password_hasher()
    arn, changes = canary.ensure(
        d.clients,
        d.exp.prefix,
        d.exp.tables["users"].name,
        d.api_url(d.results["api"].id),
        hasher,
        d.tags,
        {n: p.max_runtime_minutes for n, p in d.exp.pipelines.items() if p.max_runtime_minutes},
        d.exp.tables["jobs"].name,
        d.exp.buckets["inputs"].name,
        d.exp.canary_image_check,
        repo_root=d.settings.repo_root,
    )
    return arn, changes


def drift_step(d: Deployment) -> Result:
    net, pipe = d.results["network"], d.exp.pipelines["structured_data"]
    return None, drift.ensure(
        d.clients,
        d.exp.prefix,
        d.exp.cluster,
        d.results["task_definitions"]["structured_data"],
        pipe.container_name,
        (list(net.subnet_ids), [net.security_groups["service"]]),
        [d.results["roles"][pipe.task_role_name], d.results["roles"][pipe.execution_role_name]],
        d.exp.buckets["artifacts"].name,
        d.tags,
    )


def runs_processes(endpoint: str) -> bool:
    """True when the runtime runs ECS tasks as processes (Atelier's agent), not plain MiniStack."""
    try:
        with urllib.request.urlopen(f"{endpoint}/_atelier/status", timeout=2) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def service_ready_step(d: Deployment) -> Result:
    """Wait for the service's tasks and a healthy target, only where tasks really run.

    Only a service created or updated by this run is waited for (up to ``d.service_wait``
    seconds, less if a task crashes); otherwise its state is read once. Not being healthy is
    reported, not fatal: before ``atelier seed`` the service has no model to serve.
    """
    if not runs_processes(d.local_endpoint):
        return None, []
    lbs, touched = d.results["load_balancer"], d.results["service"]
    changes: list[Change] = [
        ecs.wait_service(
            d.clients,
            d.exp.cluster,
            svc.name,
            lbs[name].target_group_arn,
            d.service_wait if touched[name].changed else 0.0,
            since=d.started_at,
        )
        for name, svc in d.exp.services.items()
    ]
    return None, changes
