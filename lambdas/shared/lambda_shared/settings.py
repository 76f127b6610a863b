"""Configuration, read once from the environment variables of docs/contracts.md.

One small settings class per concern, so a lambda needs only the variables it uses. Each is
built on first use (not at import), so a missing variable answers a JSON 500
``configuration_error`` instead of failing the function's initialisation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lambda_shared.errors import ConfigurationError


class _Env(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)


class TokenSettings(_Env):
    """What signs and verifies tokens (auth and authorizer)."""

    jwt_secret_arn: str = Field(min_length=1)
    jwt_issuer: str = Field(min_length=1)
    jwt_audience: str = Field(min_length=1)


class UsersSettings(_Env):
    users_table: str = Field(min_length=1)


class ServiceSettings(_Env):
    """The structured-data service behind its internal ALB."""

    service_url: str = Field(min_length=1)

    @field_validator("service_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("SERVICE_URL must be an http:// or https:// URL")
        return value.rstrip("/")


class JobsSettings(_Env):
    jobs_table: str = Field(min_length=1)
    ecs_cluster: str = Field(min_length=1)


class LaunchSettings(_Env):
    """Where job tasks run (RunTask)."""

    idempotency_table: str = Field(min_length=1)
    subnets: str = ""  # comma-separated subnet ids
    security_groups: str = ""  # comma-separated security group ids
    images_task_definition: str | None = None
    al_task_definition: str | None = None
    # GPU_CAPACITY_PROVIDER (docs/contracts.md): set by Terraform only, on AWS the GPU task
    # runs on that capacity provider (RunTask capacityProviderStrategy); unset (locally) the
    # task is launched with launchType EC2.
    gpu_capacity_provider: str | None = None

    @property
    def subnet_ids(self) -> list[str]:
        return _split(self.subnets)

    @property
    def security_group_ids(self) -> list[str]:
        return _split(self.security_groups)


class LinkSettings(_Env):
    """Hosts and CIDRs a user's link may resolve to although private (ml_common.links)."""

    link_allowlist: str = ""  # comma-separated; unset: only public addresses


class StorageSettings(_Env):
    """The buckets the browser reaches through presigned URLs (never made public)."""

    results_bucket: str = ""
    inputs_bucket: str = ""
    result_url_seconds: int = Field(default=900, ge=1, le=3600)  # GET /jobs: result links
    upload_url_seconds: int = Field(default=300, ge=1, le=3600)  # POST /uploads: the form
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class OperationsSettings(_Env):
    """``GET /operations``: the environment's alarms and the drift check's reports."""

    artifacts_bucket: str = Field(min_length=1)
    atelier_env: str = Field(min_length=1)
    report_url_seconds: int = Field(default=900, ge=1, le=3600)


S = TypeVar("S", bound=_Env)
_CLEARS: list[Callable[[], None]] = []


def _loader(cls: type[S]) -> Callable[[], S]:
    @cache
    def load() -> S:
        try:
            return cls()
        except ValidationError as exc:
            names = ", ".join(sorted({str(e["loc"][0]).upper() for e in exc.errors() if e["loc"]}))
            raise ConfigurationError(
                "the API is misconfigured; see the function's logs",
                internal=f"missing or invalid environment variables: {names}",
            ) from exc

    _CLEARS.append(load.cache_clear)
    return load


token_settings = _loader(TokenSettings)
users_settings = _loader(UsersSettings)
service_settings = _loader(ServiceSettings)
jobs_settings = _loader(JobsSettings)
launch_settings = _loader(LaunchSettings)
link_settings = _loader(LinkSettings)
storage_settings = _loader(StorageSettings)
operations_settings = _loader(OperationsSettings)


def reset() -> None:
    """Forget every loaded settings object (tests change the environment)."""
    for clear in _CLEARS:
        clear()
