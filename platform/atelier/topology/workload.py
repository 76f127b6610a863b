"""Typed model of ``topology.yaml``'s ``workload`` section: what each environment does in a month.

The users' hypotheses (request rates, business-hour windows, task durations, result sizes) and
what the platform does by itself (canary, drift checks, logs). ``atelier cost`` prices it,
``atelier cost replay`` drives it through a local runtime. Rates may not be negative; a window
names a real time zone; an environment override names a known request stream.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from atelier.topology.errors import FieldError

# AWS prices a month as 730 hours; a week has 168.
HOURS_PER_MONTH = 730.0
WEEKS_PER_MONTH = HOURS_PER_MONTH / 168.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    """When requests arrive: days of the week and hours [start_hour, end_hour) in a time zone."""

    timezone: str = "UTC"
    days: list[Day] = Field(default_factory=lambda: list(DAYS))
    start_hour: int = Field(default=0, ge=0, le=23)
    end_hour: int = Field(default=24, ge=1, le=24)

    @model_validator(mode="after")
    def _check(self) -> Window:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise FieldError("timezone", f"unknown time zone {self.timezone!r}") from None
        if self.end_hour <= self.start_hour:
            raise FieldError("end_hour", f"end_hour {self.end_hour} is not after start_hour")
        return self

    @property
    def hours_per_week(self) -> float:
        return float(len(set(self.days)) * (self.end_hour - self.start_hour))

    @property
    def hours_per_month(self) -> float:
        return self.hours_per_week * WEEKS_PER_MONTH


class Requests(_Strict):
    """One API route's traffic: a rate inside a window (or runs a month), and what each costs."""

    per_hour: float = Field(default=0.0, ge=0, description="requests an hour inside the window")
    per_month: float = Field(default=0.0, ge=0, description="requests a month, spread evenly")
    window: str = "always"
    lambda_ms: float = Field(default=100.0, ge=1, description="billed Lambda duration")
    task_minutes: float = Field(default=0.0, ge=0, description="billed duration of the task run")
    request_kb: float = Field(default=1.0, ge=0, description="upload stored in S3 per request")
    result_kb: float = Field(default=0.0, ge=0, description="result written to S3 per request")
    log_kb: float = Field(default=1.0, ge=0, description="logs per request beyond Lambda's own")
    s3_puts: int = Field(default=0, ge=0, description="S3 PUT requests per request")
    s3_gets: int = Field(default=0, ge=0, description="S3 GET requests per request")
    dynamodb_writes: int = Field(default=1, ge=0, description="write request units per request")
    dynamodb_reads: int = Field(default=0, ge=0, description="read request units per request")
    job_polls: int = Field(default=0, ge=0, description="GET /jobs/{id} calls per request")


class Platform(_Strict):
    """What the platform does by itself, whatever the users do."""

    canary_every_minutes: float = Field(default=1.0, ge=0, description="0: no canary")
    drift_checks_per_day: float = Field(default=1.0, ge=0)
    drift_check_minutes: float = Field(default=5.0, ge=0, description="Fargate task per check")
    logins_per_day: float = Field(default=20.0, ge=0, description="POST /auth calls")
    s3_stored_gb: float = Field(default=5.0, ge=0, description="models, artifacts, frontend")
    dynamodb_stored_gb: float = Field(default=0.1, ge=0)
    ecr_stored_gb: float = Field(default=6.0, ge=0, description="the three pipeline images")
    rds_backup_gb: float = Field(default=20.0, ge=0, description="beyond the free allowance")
    custom_metrics: int = Field(default=5, ge=0)
    lambda_log_kb: float = Field(default=0.35, ge=0, description="START/END/REPORT per invocation")
    canary_image_task_minutes: float = Field(
        default=1.0,
        ge=0,
        description="the golden image's job where sizes.canary_image_check is on (Fargate bills "
        "1 minute at least)",
    )
    canary_image_polls: int = Field(default=5, ge=0, description="GET /jobs while it runs")
    api_metrics_log_kb: float = Field(
        default=0.4, ge=0, description="one EMF line (Atelier/Api latency, status) per API request"
    )
    kms_requests_per_request: float = Field(default=2.0, ge=0)
    secrets_calls_per_request: float = Field(default=0.0, ge=0)
    nat_gb_per_month: float = Field(default=5.0, ge=0, description="egress through the NAT")
    cdn_gb_per_month: float = Field(default=2.0, ge=0, description="frontend served by CloudFront")
    cdn_requests_per_month: float = Field(default=50_000.0, ge=0)
    alb_lcu: float = Field(default=1.0, ge=0, description="average load balancer capacity units")


class RequestsOverride(_Strict):
    per_hour: float | None = Field(default=None, ge=0)
    per_month: float | None = Field(default=None, ge=0)


class EnvWorkload(_Strict):
    """An environment's differences from the shared profile."""

    active_days_per_month: float | None = Field(
        default=None, ge=0, le=31, description="days with user traffic (None: every day)"
    )
    canary_every_minutes: float | None = Field(default=None, ge=0)
    drift_checks_per_day: float | None = Field(default=None, ge=0)
    requests: dict[str, RequestsOverride] = Field(default_factory=dict)


class Workload(_Strict):
    windows: dict[str, Window] = Field(default_factory=lambda: {"always": Window()})
    requests: dict[str, Requests] = Field(default_factory=dict)
    platform: Platform = Field(default_factory=Platform)
    environments: dict[str, EnvWorkload] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> Workload:
        for name, req in self.requests.items():
            if req.window not in self.windows:
                raise FieldError(
                    "requests",
                    f"requests.{name}.window: unknown window {req.window!r}: {sorted(self.windows)}",
                )
        for env, over in self.environments.items():
            for name in over.requests:
                if name not in self.requests:
                    raise FieldError(
                        "environments",
                        f"environments.{env}.requests.{name}: no such request stream: "
                        f"{sorted(self.requests)}",
                    )
        return self


class Stream(_Strict):
    """A request stream as one environment sees it (overrides applied)."""

    name: str
    spec: Requests
    window: Window
    per_hour: float
    per_month_extra: float
    traffic_share: float  # fraction of days with traffic

    @property
    def per_month(self) -> float:
        """Requests a month: the rate on active days, plus the runs counted a month."""
        return self.per_hour * self.window.hours_per_month * self.traffic_share + (
            self.per_month_extra
        )


def streams_for(workload: Workload, env: str) -> list[Stream]:
    over = workload.environments.get(env, EnvWorkload())
    share = 1.0
    if over.active_days_per_month is not None:
        share = min(1.0, over.active_days_per_month / DAYS_PER_MONTH)
    out = []
    for name, spec in workload.requests.items():
        o = over.requests.get(name, RequestsOverride())
        out.append(
            Stream(
                name=name,
                spec=spec,
                window=workload.windows[spec.window],
                per_hour=spec.per_hour if o.per_hour is None else o.per_hour,
                per_month_extra=spec.per_month if o.per_month is None else o.per_month,
                traffic_share=share,
            )
        )
    return out


def platform_for(workload: Workload, env: str) -> Platform:
    over = workload.environments.get(env, EnvWorkload())
    changes: dict[str, float] = {}
    if over.canary_every_minutes is not None:
        changes["canary_every_minutes"] = over.canary_every_minutes
    if over.drift_checks_per_day is not None:
        changes["drift_checks_per_day"] = over.drift_checks_per_day
    return workload.platform.model_copy(update=changes)
