"""The one settings object. Every difference between environments lives here, not in code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Atelier's configuration, read from ``ATELIER_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    home: Path = Field(default=REPO_ROOT / ".atelier", description="state, logs, databases")
    host: str = Field(default="127.0.0.1", description="address the runtime listens on")
    port: int = Field(default=4566, ge=1, le=65535, description="the runtime's one AWS port")
    region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")
    account_id: str = Field(default="000000000000")
    executor: Literal["process", "docker"] = Field(default="process")
    persist: bool = Field(default=False, description="keep all state across a restart")
    gpu: Literal["auto", "none", "force"] = Field(default="auto")
    env: str = Field(default="local", description="target environment name")
    clock_speed: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="simulated clock: seconds of runtime time per real second",
    )
    iam_enforce: bool = Field(
        default=True,
        description="evaluate IAM policies on every call (MiniStack AUTH=true): Lambdas run "
        "as their execution role, ECS tasks as their task role; the root test keys stay allowed",
    )
    lambda_isolated: bool = Field(
        default=True,
        description="Python functions run with the stdlib + boto3 only (as AWS's runtime), "
        "their bundle and their layers; false: the runtime's own interpreter and packages",
    )
    repo_root: Path = Field(default=REPO_ROOT)
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "atelier",
        description="built artifacts kept across homes (the lambdas' pip-built dependency layer)",
    )

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
