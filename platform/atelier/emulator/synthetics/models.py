"""Canaries and their runs, per account and region, with AWS's validation and states.

The states the AWS provider waits for are reached at once: a canary is READY as soon as it is
created or updated, RUNNING as soon as it is started, STOPPED as soon as it is stopped.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

NAME = re.compile(r"^[0-9a-z_\-]{1,255}$")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours)\)$")
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
MAX_RUNS = 100


class SyntheticsError(Exception):
    """An AWS error: its code (the ``x-amzn-ErrorType``), HTTP status and message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def validation(message: str) -> SyntheticsError:
    return SyntheticsError("ValidationException", 400, message)


def not_found(name: str) -> SyntheticsError:
    return SyntheticsError("ResourceNotFoundException", 404, f"Canary {name} does not exist.")


def conflict(message: str) -> SyntheticsError:
    return SyntheticsError("ConflictException", 409, message)


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of ``rate(N minutes|hours)``; 0 for run-once; None for cron()."""
    match = RATE.match(expression.strip())
    if match is None:
        if expression.strip().startswith("cron(") and expression.strip().endswith(")"):
            return None
        raise validation(f"Invalid schedule expression: {expression!r}")
    count, unit = int(match.group(1)), match.group(2)
    seconds = count * (3600 if unit.startswith("hour") else 60)
    if count and not 60 <= seconds <= 3600:
        raise validation("Schedule rate must be between 1 minute and 1 hour, or 0 to run once.")
    return seconds


@dataclass
class CanaryRun:
    id: str
    name: str
    state: str  # RUNNING, PASSED, FAILED
    started: float
    completed: float | None = None
    reason: str = ""
    artifacts: str = ""

    def to_api(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state}
        if self.reason:
            status["StateReason"] = self.reason
            status["StateReasonCode"] = "CANARY_FAILURE"
        timeline: dict[str, Any] = {"Started": self.started}
        if self.completed is not None:
            timeline["Completed"] = self.completed
            timeline["MetricTimestampForRunAndRetries"] = self.started
        return {
            "Id": self.id,
            "Name": self.name,
            "Status": status,
            "Timeline": timeline,
            "ArtifactS3Location": self.artifacts,
        }


@dataclass
class Canary:
    name: str
    account: str
    region: str
    handler: str
    code_zip: bytes
    execution_role_arn: str
    runtime_version: str
    artifact_s3_location: str
    schedule: dict[str, Any]
    run_config: dict[str, Any]
    env: dict[str, str]
    success_retention: int = 31
    failure_retention: int = 31
    artifact_config: dict[str, Any] | None = None
    vpc_config: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "READY"
    created: float = field(default_factory=time.time)
    last_modified: float = field(default_factory=time.time)
    last_started: float | None = None
    last_stopped: float | None = None
    next_run: float | None = None
    runs: list[CanaryRun] = field(default_factory=list)
    code_version: int = 1

    @property
    def arn(self) -> str:
        return f"arn:aws:synthetics:{self.region}:{self.account}:canary:{self.name}"

    @property
    def engine_arn(self) -> str:
        return (
            f"arn:aws:lambda:{self.region}:{self.account}:function:"
            f"cwsyn-{self.name}-{self.id}:{self.code_version}"
        )

    def to_api(self) -> dict[str, Any]:
        timeline: dict[str, Any] = {"Created": self.created, "LastModified": self.last_modified}
        if self.last_started is not None:
            timeline["LastStarted"] = self.last_started
        if self.last_stopped is not None:
            timeline["LastStopped"] = self.last_stopped
        out: dict[str, Any] = {
            "Id": self.id,
            "Name": self.name,
            "Code": {
                "Handler": self.handler,
                "SourceLocationArn": f"arn:aws:lambda:{self.region}:{self.account}:layer:"
                f"cwsyn-{self.name}-{self.id}:{self.code_version}",
            },
            "ExecutionRoleArn": self.execution_role_arn,
            "Schedule": dict(self.schedule),
            "RunConfig": dict(self.run_config),
            "SuccessRetentionPeriodInDays": self.success_retention,
            "FailureRetentionPeriodInDays": self.failure_retention,
            "Status": {"State": self.state},
            "Timeline": timeline,
            "ArtifactS3Location": self.artifact_s3_location,
            "EngineArn": self.engine_arn,
            "EngineConfigs": [{"EngineArn": self.engine_arn}],
            "RuntimeVersion": self.runtime_version,
            "Tags": dict(self.tags),
        }
        if self.artifact_config:
            out["ArtifactConfig"] = self.artifact_config
        if self.vpc_config:
            out["VpcConfig"] = self.vpc_config
        return out


class Store:
    """Every canary of the runtime, keyed by (account, region, name); thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.canaries: dict[tuple[str, str, str], Canary] = {}

    def get(self, account: str, region: str, name: str) -> Canary:
        with self.lock:
            canary = self.canaries.get((account, region, name))
        if canary is None:
            raise not_found(name)
        return canary

    def by_arn(self, arn: str) -> Canary:
        parts = arn.split(":")
        if len(parts) != 7 or parts[2] != "synthetics" or parts[5] != "canary":
            raise SyntheticsError("BadRequestException", 400, f"Invalid resource ARN: {arn}")
        with self.lock:
            canary = self.canaries.get((parts[4], parts[3], parts[6]))
        if canary is None:
            raise SyntheticsError("NotFoundException", 404, f"Resource {arn} not found.")
        return canary

    def add(self, canary: Canary) -> None:
        key = (canary.account, canary.region, canary.name)
        with self.lock:
            if key in self.canaries:
                raise conflict(f"Canary {canary.name} already exists.")
            self.canaries[key] = canary

    def remove(self, canary: Canary) -> None:
        with self.lock:
            self.canaries.pop((canary.account, canary.region, canary.name), None)

    def all(self) -> list[Canary]:
        with self.lock:
            return list(self.canaries.values())

    def record(self, canary: Canary, run: CanaryRun) -> None:
        with self.lock:
            canary.runs.insert(0, run)
            del canary.runs[MAX_RUNS:]
