"""The one settings object. Every difference between environments lives here, not in code.

It is made once where a process starts (the ``atelier`` command, the runtime, a script's
``main``) and passed down; nothing caches it, and nothing changes the process environment to
reach a code path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MARKER = "topology.yaml"  # what makes a directory an Atelier checkout


class RepoNotFoundError(RuntimeError):
    """No Atelier checkout at or above the working directory, and no ATELIER_REPO_ROOT."""


def find_repo_root(start: Path | None = None) -> Path:
    """``ATELIER_REPO_ROOT`` when set, else the nearest directory at or above ``start`` (default:
    the working directory) that holds ``topology.yaml``. Never the installed package's location:
    a wheel install works from any checkout."""
    explicit = os.environ.get("ATELIER_REPO_ROOT", "").strip()
    if explicit:
        return Path(explicit)
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return candidate
    raise RepoNotFoundError(
        f"no Atelier checkout at or above {here} (no {MARKER}): run from the repository "
        "or set ATELIER_REPO_ROOT"
    )


def _default_home(data: dict[str, Any]) -> Path:
    return Path(data["repo_root"]) / ".atelier"


class Settings(BaseSettings):
    """Atelier's configuration, read from ``ATELIER_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    repo_root: Path = Field(
        default_factory=find_repo_root,
        description="the checkout: ATELIER_REPO_ROOT, else found upward from the working directory",
    )
    home: Path = Field(
        default_factory=_default_home, description="state, logs, databases (<repo_root>/.atelier)"
    )
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
    keep_alive_s: float = Field(
        default=650,
        gt=0,
        description="seconds the runtime keeps an idle client connection open; above every "
        "AWS SDK's own idle limit (Go: 90 s, the Terraform provider's) so the client always "
        "closes first: a server close racing a request on a reused connection loses the answer "
        "of a call that already ran, and the SDK's retry of a create then finds it done",
    )
    lambda_warm_workers: int = Field(
        default=2,
        ge=0,
        le=32,
        description="warm workers each Python function keeps ready, started in the background "
        "after CreateFunction/UpdateFunctionCode (more if its provisioned concurrency or its "
        "recent concurrency says so); 0: MiniStack's own pool (no warm workers, no cap)",
    )
    lambda_cold_start_cap: int = Field(
        default=3,
        ge=1,
        le=16,
        description="cold starts one function may have in flight at once; a request that finds "
        "every worker busy waits for the first one free (a busy one or one started for it in "
        "the background), it never pays a cold start of its own",
    )
    lambda_warm_max: int = Field(
        default=16,
        ge=0,
        le=256,
        description="the most workers a function is kept warm for its recent concurrency, "
        "and the most that queued requests make it start",
    )
    lambda_warm_window_s: float = Field(
        default=300,
        gt=0,
        description="seconds a function's concurrency is remembered: its workers are kept for "
        "the highest concurrency seen this long ago or less; a worker above that idle this "
        "long is stopped",
    )
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
