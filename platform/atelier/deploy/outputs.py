"""``.atelier/outputs.json``: what a deploy made, for people, tests and the e2e run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from atelier.deploy.context import Deployment

OUTPUTS_FILE = "outputs.json"


def collect(d: Deployment, engine: str = "python") -> dict[str, Any]:
    r, exp = d.results, d.exp
    db = r.get("database")
    lbs = r.get("load_balancer", {})
    return {
        "engine": engine,
        "env": exp.env,
        "region": d.region,
        "endpoint_url": d.local_endpoint,
        "api_id": r["api"].id,
        "api_url": d.api_url(r["api"].id),
        "api_stage": exp.api.stage,
        "frontend_url": d.frontend_url(),
        "frontend_website_url": d.website_url(),
        "frontend_bucket": exp.buckets["frontend"].name,
        "service_urls": {name: d.service_url(name) for name in exp.services},
        "alb_url": next((d.service_url(name) for name in exp.services), None),
        "alb_dns_names": {name: lb.dns_name for name, lb in lbs.items()},
        "buckets": {key: b.name for key, b in exp.buckets.items()},
        "tables": {key: t.name for key, t in exp.tables.items()},
        "secrets": dict(r.get("secrets", {})),
        "db_endpoint": f"{db.host}:{db.port}" if db else None,
        "db_identifier": exp.database.identifier,
        "cluster": exp.cluster,
        "services": {name: s.name for name, s in exp.services.items()},
        "task_definitions": dict(r.get("task_definitions", {})),
        "functions": dict(r.get("functions", {})),
        "layer": r.get("layer"),
        "repositories": {
            name: d.image_uri(repo).rsplit(":", 1)[0] for name, repo in exp.repositories.items()
        },
        "vpc_id": r["network"].vpc_id,
        "subnets": list(r["network"].subnet_ids),
        "security_groups": dict(r["network"].security_groups),
        "alerts_topic_arn": r.get("topic"),
        "username": r["users"].username,
        "credentials_file": str(d.settings.home / "credentials.json"),
    }


def write(home: Path, outputs: dict[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / OUTPUTS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def read(home: Path) -> dict[str, Any] | None:
    path = home / OUTPUTS_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
