"""Infracost's usage file (``infracost-usage.yml``, version 0.1) from and into the profile.

Written from an estimate so a team with Infracost can run ``infracost breakdown --usage-file``
on the same Terraform and compare; read back, its monthly figures override the profile's
(request counts, NAT and CDN traffic, stored GB), so either side can be the source.
Addresses are those of ``terraform/envs/<env>`` (``module.stack.module.<m>.<type>.<name>[key]``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from atelier.cost.estimate import Estimate
from atelier.cost.prices import CostError
from atelier.cost.profile import EnvProfile
from atelier.topology.workload import EnvWorkload, Platform, RequestsOverride, streams_for

STACK = "module.stack.module"


def _sum(est: Estimate, item: str, pipeline: str | None = None) -> float:
    return sum(
        line.amount
        for line in est.lines
        if line.item.split("[")[0] == item and (pipeline is None or line.pipeline == pipeline)
    )


def usage_file(p: EnvProfile, est: Estimate) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for s in p.streams:
        res[f'{STACK}.api.aws_lambda_function.this["{s.name}"]'] = {
            "monthly_requests": round(s.per_month),
            "request_duration_ms": round(s.spec.lambda_ms),
        }
    res[f"{STACK}.api.aws_api_gateway_rest_api.this"] = {
        "monthly_requests": round(_sum(est, "apigateway.requests"))
    }
    if p.nat:
        res[f"{STACK}.network.aws_nat_gateway.this[0]"] = {
            "monthly_data_processed_gb": p.platform.nat_gb_per_month
        }
    for name in p.topology.tables:
        res[f'{STACK}.data.aws_dynamodb_table.this["{name}"]'] = {
            "monthly_write_request_units": round(
                _sum(est, "dynamodb.writes") / len(p.topology.tables)
            ),
            "monthly_read_request_units": round(
                _sum(est, "dynamodb.reads") / len(p.topology.tables)
            ),
            "storage_gb": round(p.platform.dynamodb_stored_gb / len(p.topology.tables), 3),
        }
    buckets = [b for b in p.topology.buckets if b != "frontend"]
    for name in buckets:
        res[f'{STACK}.data.aws_s3_bucket.this["{name}"]'] = {
            "standard": {
                "storage_gb": round(_sum(est, "s3.gb_months") / len(buckets), 3),
                "monthly_tier_1_requests": round(_sum(est, "s3.puts") / len(buckets)),
                "monthly_tier_2_requests": round(_sum(est, "s3.gets") / len(buckets)),
            }
        }
    res[f"{STACK}.monitoring.aws_cloudwatch_log_group.this[*]"] = {
        "monthly_data_ingested_gb": round(_sum(est, "logs.ingest_gb"), 4),
        "storage_gb": round(_sum(est, "logs.gb_months"), 4),
    }
    if p.cdn:
        res[f"{STACK}.frontend.aws_cloudfront_distribution.this"] = {
            "monthly_data_transfer_to_internet_gb": {"europe": p.platform.cdn_gb_per_month},
            "monthly_https_requests": {"europe": round(p.platform.cdn_requests_per_month)},
        }
    res[f"{STACK}.ecs_task.aws_ecr_repository.this[*]"] = {"storage_gb": p.platform.ecr_stored_gb}
    return {"version": "0.1", "resource_usage": res}


def write(p: EnvProfile, est: Estimate, path: Path) -> None:
    header = (
        f"# Infracost usage file for {p.env}, written by `atelier cost --env {p.env} "
        f"--usage-file {path.name} --write-usage`. Monthly figures from topology.yaml's workload.\n"
    )
    path.write_text(header + yaml.safe_dump(usage_file(p, est), sort_keys=False), encoding="utf-8")


def read(p: EnvProfile, path: Path) -> EnvProfile:
    """A profile whose monthly figures are the usage file's where it gives them."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CostError(f"{path}: cannot read the usage file: {exc}") from None
    if not isinstance(data, dict) or str(data.get("version")) != "0.1":
        raise CostError(f"{path}: version: expected 0.1 (Infracost usage file)")
    resources = data.get("resource_usage") or {}
    if not isinstance(resources, dict):
        raise CostError(f"{path}: resource_usage: expected a mapping")
    workload = p.workload
    env_over = workload.environments.get(p.env)
    requests = dict(env_over.requests) if env_over else {}
    platform = p.platform.model_dump()
    for address, values in resources.items():
        if not isinstance(values, dict):
            raise CostError(f"{path}: resource_usage.{address}: expected a mapping")
        for key, value in values.items():
            if isinstance(value, int | float) and value < 0:
                raise CostError(f"{path}: resource_usage.{address}.{key}: negative value {value}")
        if ".aws_lambda_function.this[" in address and "monthly_requests" in values:
            name = address.split('["')[1].rstrip('"]')
            if name in workload.requests:
                monthly = float(values["monthly_requests"])
                requests[name] = RequestsOverride(per_hour=0, per_month=monthly)
        if ".aws_nat_gateway." in address and "monthly_data_processed_gb" in values:
            platform["nat_gb_per_month"] = float(values["monthly_data_processed_gb"])
        if ".aws_ecr_repository." in address and "storage_gb" in values:
            platform["ecr_stored_gb"] = float(values["storage_gb"])
    base = env_over or EnvWorkload()
    new_env = base.model_copy(update={"requests": requests})
    new_workload = workload.model_copy(
        update={"environments": {**workload.environments, p.env: new_env}}
    )
    return replace(
        p,
        workload=new_workload,
        streams=streams_for(new_workload, p.env),
        platform=Platform.model_validate(platform),
    )
