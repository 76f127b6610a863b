"""The Synthetics operations on the store: what each call does, with AWS's checks."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any

from atelier.emulator.synthetics.models import (
    ARN,
    NAME,
    Canary,
    Store,
    SyntheticsError,
    conflict,
    rate_seconds,
    validation,
)

FetchS3 = Callable[[str, str, str, str | None], bytes]  # account, bucket, key, version -> bytes
DEFAULT_MEMORY_MB = 1000
DEFAULT_EPHEMERAL_MB = 1024


def _required(body: dict[str, Any], key: str) -> Any:
    if body.get(key) in (None, ""):
        raise validation(
            f"1 validation error detected: Value null at '{key}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return body[key]


def _code(body: dict[str, Any], account: str, fetch_s3: FetchS3) -> tuple[str, bytes]:
    code = body.get("Code") or {}
    handler = str(_required(code, "Handler")) if isinstance(code, dict) else ""
    if not handler.endswith(".handler") and not handler.endswith("handler"):
        raise validation("Code.Handler must end with .handler")
    if code.get("ZipFile"):
        try:
            return handler, base64.b64decode(code["ZipFile"], validate=True)
        except (binascii.Error, TypeError) as exc:
            raise validation("Code.ZipFile is not valid base64") from exc
    if code.get("S3Bucket") and code.get("S3Key"):
        try:
            data = fetch_s3(account, code["S3Bucket"], code["S3Key"], code.get("S3Version"))
        except Exception as exc:  # the runtime's S3 answered with an error
            raise validation(
                f"Unable to fetch the code from s3://{code['S3Bucket']}/{code['S3Key']}: {exc}"
            ) from exc
        return handler, data
    raise validation("Code must have either ZipFile or S3Bucket and S3Key")


def _schedule(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw.get("Expression"):
        raise validation("Schedule.Expression is required")
    rate_seconds(str(raw["Expression"]))
    return {
        "Expression": str(raw["Expression"]),
        "DurationInSeconds": int(raw.get("DurationInSeconds") or 0),
    }


def _run_config(raw: Any, schedule: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    every = rate_seconds(schedule["Expression"]) or 840
    base = old or {
        "TimeoutInSeconds": min(every, 840),
        "MemoryInMB": DEFAULT_MEMORY_MB,
        "ActiveTracing": False,
        "EphemeralStorage": DEFAULT_EPHEMERAL_MB,
    }
    out = dict(base)
    for key in ("TimeoutInSeconds", "MemoryInMB", "ActiveTracing", "EphemeralStorage"):
        if raw.get(key) is not None:
            out[key] = raw[key]
    timeout = int(out["TimeoutInSeconds"])
    if not 3 <= timeout <= 840:
        raise validation("RunConfig.TimeoutInSeconds must be between 3 and 840")
    if rate_seconds(schedule["Expression"]) and timeout > every:
        raise validation("RunConfig.TimeoutInSeconds cannot be longer than the schedule's rate")
    if int(out["MemoryInMB"]) < 960 or (int(out["MemoryInMB"]) % 64 and out["MemoryInMB"] != 1000):
        raise validation("RunConfig.MemoryInMB must be a multiple of 64, at least 960")
    return out


def _role(body: dict[str, Any]) -> str:
    role = str(_required(body, "ExecutionRoleArn"))
    if not ARN.match(role) or ":role/" not in role:
        raise validation(f"Invalid ExecutionRoleArn: {role}")
    return role


def _artifacts(value: Any) -> str:
    return str(value).removeprefix("s3://")


def create(
    store: Store, account: str, region: str, body: dict[str, Any], fetch_s3: FetchS3
) -> Canary:
    name = str(_required(body, "Name"))
    if not NAME.match(name) or len(name) > 255:
        raise validation(f"Invalid canary name: {name}: lowercase letters, digits, - and _")
    if len(name) > 21:
        raise validation("Canary name must be at most 21 characters long")
    handler, zip_bytes = _code(body, account, fetch_s3)
    schedule = _schedule(body.get("Schedule"))
    run = body.get("RunConfig") or {}
    canary = Canary(
        name=name,
        account=account,
        region=region,
        handler=handler,
        code_zip=zip_bytes,
        execution_role_arn=_role(body),
        runtime_version=str(_required(body, "RuntimeVersion")),
        artifact_s3_location=_artifacts(_required(body, "ArtifactS3Location")),
        schedule=schedule,
        run_config=_run_config(run, schedule, None),
        env=dict(run.get("EnvironmentVariables") or {}),
        success_retention=int(body.get("SuccessRetentionPeriodInDays") or 31),
        failure_retention=int(body.get("FailureRetentionPeriodInDays") or 31),
        artifact_config=body.get("ArtifactConfig") or None,
        vpc_config=body.get("VpcConfig") or None,
        tags=dict(body.get("Tags") or {}),
    )
    store.add(canary)
    return canary


def update(canary: Canary, body: dict[str, Any], fetch_s3: FetchS3) -> None:
    if canary.state in ("RUNNING", "STARTING", "STOPPING", "CREATING", "UPDATING"):
        raise conflict(f"Canary {canary.name} is in {canary.state} state: stop it first.")
    schedule = _schedule(body["Schedule"]) if body.get("Schedule") else canary.schedule
    run = body.get("RunConfig")
    run_config = _run_config(run, schedule, canary.run_config) if run is not None else None
    if body.get("Code"):
        canary.handler, canary.code_zip = _code(body, canary.account, fetch_s3)
        canary.code_version += 1
    if body.get("ExecutionRoleArn"):
        canary.execution_role_arn = _role(body)
    if body.get("RuntimeVersion"):
        canary.runtime_version = str(body["RuntimeVersion"])
    if body.get("ArtifactS3Location"):
        canary.artifact_s3_location = _artifacts(body["ArtifactS3Location"])
    if body.get("ArtifactConfig") is not None:
        canary.artifact_config = body["ArtifactConfig"] or None
    if body.get("VpcConfig") is not None:
        canary.vpc_config = body["VpcConfig"] or None
    for key, attr in (
        ("SuccessRetentionPeriodInDays", "success_retention"),
        ("FailureRetentionPeriodInDays", "failure_retention"),
    ):
        if body.get(key) is not None:
            setattr(canary, attr, int(body[key]))
    canary.schedule = schedule
    if run_config is not None:
        canary.run_config = run_config
        if run and "EnvironmentVariables" in run:
            canary.env = dict(run["EnvironmentVariables"] or {})
    canary.last_modified = time.time()


def start(canary: Canary, now: float) -> None:
    if canary.state not in ("READY", "STOPPED", "ERROR"):
        raise conflict(f"Canary {canary.name} is in {canary.state} state and cannot be started.")
    canary.state, canary.last_started, canary.next_run = "RUNNING", now, now


def stop(canary: Canary, now: float) -> None:
    if canary.state != "RUNNING":
        raise conflict(f"Canary {canary.name} is not running (state {canary.state}).")
    canary.state, canary.last_stopped, canary.next_run = "STOPPED", now, None


def delete(store: Store, canary: Canary) -> None:
    if canary.state in ("RUNNING", "STARTING"):
        raise conflict(f"Canary {canary.name} is running: stop it before deleting it.")
    store.remove(canary)


def describe(store: Store, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
    names = body.get("Names")
    limit = int(body.get("MaxResults") or 20)
    if not 1 <= limit <= 20:
        raise validation("MaxResults must be between 1 and 20")
    mine = sorted(
        (c for c in store.all() if (c.account, c.region) == (account, region)), key=lambda c: c.name
    )
    if names:
        mine = [c for c in mine if c.name in set(names)]
    start_at = int(body.get("NextToken") or 0)
    page = mine[start_at : start_at + limit]
    out: dict[str, Any] = {"Canaries": [c.to_api() for c in page]}
    if start_at + limit < len(mine):
        out["NextToken"] = str(start_at + limit)
    return out


def runs(canary: Canary, body: dict[str, Any]) -> dict[str, Any]:
    limit = int(body.get("MaxResults") or 100)
    if not 1 <= limit <= 100:
        raise validation("MaxResults must be between 1 and 100")
    start_at = int(body.get("NextToken") or 0)
    page = canary.runs[start_at : start_at + limit]
    out: dict[str, Any] = {"CanaryRuns": [r.to_api() for r in page]}
    if start_at + limit < len(canary.runs):
        out["NextToken"] = str(start_at + limit)
    return out


def tag(canary: Canary, body: dict[str, Any]) -> None:
    tags = body.get("Tags")
    if not isinstance(tags, dict) or not tags:
        raise SyntheticsError("BadRequestException", 400, "Tags must be a non-empty map")
    canary.tags.update({str(k): str(v) for k, v in tags.items()})


def untag(canary: Canary, keys: list[str]) -> None:
    if not keys:
        raise SyntheticsError("BadRequestException", 400, "tagKeys is required")
    for key in keys:
        canary.tags.pop(key, None)
