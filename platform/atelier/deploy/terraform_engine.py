"""``atelier deploy --engine terraform``: terraform/envs/local applied to the running runtime.

Terraform builds every resource; what is data, not infrastructure, stays with the deployer's own
steps, run after the apply exactly as the Python engine runs them: the frontend's
``config.json`` and files (``site``), the API user (``users``) and the wait for the service's
tasks (``service_ready``). ``.atelier/outputs.json`` is then written by the same
:func:`atelier.deploy.outputs.collect` from results filled by Terraform's ``deployment`` output,
so ``atelier seed``, the frontend and the e2e read one format whichever engine deployed.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atelier.deploy import apply, outputs
from atelier.deploy.apigateway import Api
from atelier.deploy.change import Action, Change
from atelier.deploy.context import Deployment
from atelier.deploy.elbv2 import LoadBalancer
from atelier.deploy.network import Network
from atelier.deploy.plan import Step
from atelier.deploy.rds import Database
from atelier.deploy.steps import app as steps_app
from atelier.deploy.terraform import Listener, TerraformFailed, Workspace, planned_changes

AFTER_APPLY: tuple[Step, ...] = (
    Step("site", "frontend website", steps_app.site_step),
    Step("users", "API user", steps_app.users_step),
    Step("service_ready", "service tasks", steps_app.service_ready_step),
)


@dataclass
class Result:
    values: dict[str, Any]
    path: Path
    seconds: dict[str, float] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)
    report: apply.Report | None = None


def write_bundles(repo_root: Path, env: str, out: Path, cache_dir: Path) -> list[Path]:
    """The zips Terraform reads (``terraform/bundles.py``), written only when their bytes change."""
    spec = importlib.util.spec_from_file_location(
        "atelier_tf_bundles", repo_root / "terraform" / "bundles.py"
    )
    if spec is None or spec.loader is None:
        raise TerraformFailed(f"cannot load {repo_root / 'terraform' / 'bundles.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    built = dict(module.bundles(env))
    # envs/local publishes the pip-built dependency layer, as AWS's stack does
    built["deps-layer.zip"] = module.deps_layer(cache_dir)
    for name, bundle in sorted(built.items()):
        path = out / name
        if not path.is_file() or path.read_bytes() != bundle.data:
            path.write_bytes(bundle.data)
        written.append(path)
    return written


def workspace(d: Deployment, root: Path | None = None) -> Workspace:
    settings = d.settings
    home = settings.home / "terraform" / d.exp.env
    return Workspace(
        root=root or settings.repo_root / "terraform" / "envs" / "local",
        endpoint_url=settings.endpoint_url,
        state_dir=home,
        region=settings.region,
        variables={"bundle_dir": str(home / "dist"), "runtime_endpoint": d.local_endpoint},
    )


def fill_results(d: Deployment, tf: dict[str, Any]) -> None:
    """Terraform's ``deployment`` output as the results the Python engine's steps leave."""
    exp, none = d.exp, ()
    host, _, port = str(tf["db_endpoint"]).rpartition(":")
    d.results.update(
        {
            "api": Api(id=tf["rest_api_id"], stage=exp.api.stage, changes=none),
            "network": Network(
                vpc_id=tf["vpc_id"],
                subnet_ids=tuple(tf["subnet_ids"]),
                security_groups=dict(tf["security_group_ids"]),
            ),
            "secrets": dict(tf["secret_arns"]),
            "database": Database(exp.database.identifier, host, int(port or 5432), none),
            "task_definitions": dict(tf["task_definition_arns"]),
            "functions": {
                exp.lambdas[key].function_name: arn for key, arn in tf["function_arns"].items()
            },
            "layer": tf["layer_arn"],
            "topic": tf["alerts_topic_arn"],
            "load_balancer": {
                name: LoadBalancer(lb["arn"], lb["dns_name"], lb["target_group_arn"], none)
                for name, lb in tf["load_balancers"].items()
            },
            # every service was just (re)applied by Terraform: wait for its tasks
            "service": {name: Change("ecs.service", name, Action.UPDATED) for name in exp.services},
        }
    )


def deploy(
    d: Deployment,
    on_event: Listener | None = None,
    on_step: apply.Listener | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Result:
    """Bundles, init, apply, then the data steps; outputs.json written. Raises TerraformFailed."""
    ws = workspace(d)
    seconds: dict[str, float] = {}
    t0 = time.monotonic()
    write_bundles(
        d.settings.repo_root, d.exp.env, Path(ws.variables["bundle_dir"]), d.settings.cache_dir
    )
    seconds["bundles"] = time.monotonic() - t0
    say("terraform init")
    seconds["init"] = ws.init()
    say("terraform apply")
    t0 = time.monotonic()
    events = ws.apply(on_event)
    seconds["apply"] = time.monotonic() - t0
    summary: dict[str, int] = next(
        (e["changes"] for e in reversed(events) if e.get("type") == "change_summary"), {}
    )
    fill_results(d, ws.outputs()["deployment"])
    t0 = time.monotonic()
    report = apply.run(d, AFTER_APPLY, on_step)
    seconds["after_apply"] = time.monotonic() - t0
    values = outputs.collect(d, engine="terraform")
    path = outputs.write(d.settings.home, values)
    return Result(values, path, seconds, summary, report)


def plan(d: Deployment, on_event: Listener | None = None) -> tuple[int, list[str]]:
    """``terraform plan -detailed-exitcode`` of what is deployed: (exit code, planned changes)."""
    ws = workspace(d)
    write_bundles(
        d.settings.repo_root, d.exp.env, Path(ws.variables["bundle_dir"]), d.settings.cache_dir
    )
    ws.init()
    code, events = ws.plan(on_event)
    return code, planned_changes(events)
