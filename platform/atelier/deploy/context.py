"""What every deploy step shares: settings, the expansion, clients, and the results so far."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atelier.config import Settings
from atelier.deploy.clients import Clients
from atelier.topology import Expansion, expand, load

# --- Not in the expansion (yet): computed here, in this one place. ------------------------------
ADMIN_USERNAME = "atelier-admin"  # the user created at deploy; its password is shown once
DB_USERNAME = "atelier_admin"  # RDS master user ("admin"/"postgres" are reserved words)


def db_subnet_group(exp: Expansion) -> str:
    return f"{exp.database.identifier}-subnets"


def availability_zones(region: str, count: int) -> list[str]:
    return [f"{region}{chr(ord('a') + i)}" for i in range(count)]


def alarm_dimensions(exp: Expansion, namespace: str, results: dict[str, Any]) -> dict[str, str]:
    """Which resource each alarm watches (the topology names only the metric)."""
    if namespace == "AWS/ApiGateway":
        return {"ApiName": exp.api.name, "Stage": exp.api.stage}
    if namespace == "AWS/ApplicationELB":
        lb = next(iter(results["load_balancer"].values()))
        return {
            "LoadBalancer": lb.arn.split(":loadbalancer/", 1)[-1],
            "TargetGroup": lb.target_group_arn.rsplit(":", 1)[-1],
        }
    if namespace == "Atelier/Api":  # lambda_shared.metrics: environments may share an account
        return {"Environment": exp.env}
    # The other Atelier/* metrics (metric filters, EMF, the canary) carry no dimensions: one
    # account per environment, as terraform/modules/stack passes none for them either
    return {}  # AWS/Lambda: every function of the account (only Atelier's locally)


# -------------------------------------------------------------------------------------------------


@dataclass
class Deployment:
    settings: Settings
    exp: Expansion
    clients: Clients
    service_wait: float = 5.0  # seconds to wait for a (re)deployed service to become healthy
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    results: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Settings, topology_path: Path | None = None) -> Deployment:
        topology = load(topology_path) if topology_path else load()
        exp = expand(topology, settings.env)
        return cls(settings, exp, Clients(settings.endpoint_url, settings.region))

    @property
    def account(self) -> str:
        return self.exp.account_id or self.settings.account_id

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def tags(self) -> dict[str, str]:
        return {"project": self.exp.project, "env": self.exp.env, "managed-by": "atelier-deploy"}

    @property
    def local_endpoint(self) -> str:
        """The endpoint as a process on this machine reaches it (lambdas, tasks, browsers)."""
        host = self.settings.host
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a listen address, not a bind
            host = "127.0.0.1"
        return f"http://{host}:{self.settings.port}"

    def service_url(self, service: str) -> str:
        """The internal ALB as a local lambda reaches it: MiniStack's path-addressed ALB."""
        return f"{self.local_endpoint}/_alb/{self.exp.services[service].alb_name}"

    def api_url(self, api_id: str) -> str:
        return f"{self.local_endpoint}/restapis/{api_id}/{self.exp.api.stage}/_user_request_"

    def frontend_url(self) -> str:
        """Path-style: every client resolves it (``*.localhost`` fails in Python and Node)."""
        return f"{self.local_endpoint}/{self.exp.buckets['frontend'].name}/index.html"

    def website_url(self) -> str:
        """The S3 website endpoint the runtime serves (``index.html`` at ``/``), for browsers."""
        bucket = self.exp.buckets["frontend"].name
        return f"http://{bucket}.s3-website.localhost:{self.settings.port}/"

    def image_uri(self, repository: str) -> str:
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{repository}:latest"

    def resolve(self, refs: dict[str, str]) -> dict[str, str]:
        """Turn the expansion's ``environment_refs`` into values known after creation."""
        network = self.results["network"]
        out = {}
        for var, ref in refs.items():
            kind, _, arg = ref.partition(":")
            if kind == "secret":
                out[var] = self.results["secrets"][arg]
            elif kind == "service_url":
                out[var] = self.service_url(arg)
            elif kind == "subnets":
                out[var] = ",".join(network.subnet_ids)
            elif kind == "security_group":
                out[var] = network.security_groups[arg]
            else:
                raise ValueError(f"unknown environment reference {ref!r} for {var}")
        return out
