"""The one settings object. Every difference between environments lives here, not in code.

It is made once where a process starts (the ``atelier`` command, the runtime, a script's
``main``) and passed down; nothing caches it, and nothing changes the process environment to
reach a code path. ``Settings(**overrides)`` reads ``ATELIER_<NAME>`` for every field (the
region: ``AWS_DEFAULT_REGION``), lets the overrides win, and checks every value against its
type and bounds with msgspec; a wrong value is a :class:`SettingsError` naming the variable.
msgspec and not pydantic-settings: the runtime reads these before its port opens, and
pydantic-settings' import alone cost more than plain MiniStack's whole start
(``docs/adr/0026-settings-read-with-msgspec.md``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta

MARKER = "topology.yaml"  # what makes a directory an Atelier checkout
ENV_PREFIX = "ATELIER_"
ENV_NAMES = {"region": "AWS_DEFAULT_REGION"}  # fields read from another variable
_S = TypeVar("_S")


class RepoNotFoundError(RuntimeError):
    """No Atelier checkout at or above the working directory, and no ATELIER_REPO_ROOT."""


class SettingsError(ValueError):
    """A setting's value does not fit its type or bounds (the message names the variable)."""


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


def env_name(field: str) -> str:
    """The environment variable a field is read from."""
    return ENV_NAMES.get(field, ENV_PREFIX + field.upper())


def _decode(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str | Path):
        return Path(value)
    raise NotImplementedError(kind)


class _FromEnvironment(type):
    """``Settings(**overrides)``: the environment, then the overrides, checked (module doc)."""

    def __call__(cls: type[_S], **overrides: Any) -> _S:
        fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(unknown)}")
        environ = {name.upper(): value for name, value in os.environ.items()}
        values: dict[str, Any] = {f: environ[env_name(f)] for f in fields if env_name(f) in environ}
        values.update(overrides)
        if "home" not in values:  # <repo_root>/.atelier, the checkout given or found
            values["home"] = Path(values.get("repo_root") or find_repo_root()) / ".atelier"
        try:
            return msgspec.convert(values, cls, strict=False, dec_hook=_decode)
        except msgspec.ValidationError as exc:
            where = str(exc).rsplit(" - at `$.", 1)
            field = where[1].rstrip("`") if len(where) == 2 else ""
            if field not in fields:
                raise SettingsError(f"settings: {exc}") from None
            raise SettingsError(
                f"{env_name(field)}={values[field]!r} ({field}): {where[0]}"
            ) from None


@dataclasses.dataclass(kw_only=True)
class Settings(metaclass=_FromEnvironment):
    """Atelier's configuration, read from ``ATELIER_*`` environment variables."""

    repo_root: Annotated[
        Path,
        Meta(description="the checkout: ATELIER_REPO_ROOT, else found upward from the working "
             "directory"),
    ] = dataclasses.field(default_factory=find_repo_root)  # fmt: skip
    home: Annotated[Path, Meta(description="state, logs, databases (<repo_root>/.atelier)")] = (
        dataclasses.field(default_factory=lambda: find_repo_root() / ".atelier")
    )
    host: Annotated[str, Meta(description="address the runtime listens on")] = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535, description="the runtime's one AWS port")] = 4566
    region: Annotated[str, Meta(description="read from AWS_DEFAULT_REGION")] = "us-east-1"
    account_id: str = "000000000000"
    executor: Literal["process", "docker"] = "process"
    persist: Annotated[bool, Meta(description="keep all state across a restart")] = False
    gpu: Literal["auto", "none", "force"] = "auto"
    env: Annotated[str, Meta(description="target environment name")] = "local"
    clock_speed: Annotated[
        float,
        Meta(gt=0, le=3600,
             description="simulated clock: seconds of runtime time per real second"),
    ] = 1.0  # fmt: skip
    iam_enforce: Annotated[
        bool,
        Meta(description="evaluate IAM policies on every call (MiniStack AUTH=true): Lambdas run "
             "as their execution role, ECS tasks as their task role; the root test keys stay "
             "allowed"),
    ] = True  # fmt: skip
    lambda_isolated: Annotated[
        bool,
        Meta(description="Python functions run with the stdlib + boto3 only (as AWS's runtime), "
             "their bundle and their layers; false: the runtime's own interpreter and packages"),
    ] = True  # fmt: skip
    keep_alive_s: Annotated[
        float,
        Meta(gt=0,
             description="seconds the runtime keeps an idle client connection open; above every "
             "AWS SDK's own idle limit (Go: 90 s, the Terraform provider's) so the client always "
             "closes first: a server close racing a request on a reused connection loses the "
             "answer of a call that already ran, and the SDK's retry of a create then finds it "
             "done"),
    ] = 650.0  # fmt: skip
    lambda_warm_workers: Annotated[
        int,
        Meta(ge=0, le=32,
             description="warm workers each Python function keeps ready, started in the "
             "background after CreateFunction/UpdateFunctionCode (more if its provisioned "
             "concurrency or its recent concurrency says so); 0: MiniStack's own pool (no warm "
             "workers, no cap)"),
    ] = 2  # fmt: skip
    lambda_cold_start_cap: Annotated[
        int,
        Meta(ge=1, le=16,
             description="cold starts one function may have in flight at once; a request that "
             "finds every worker busy waits for the first one free (a busy one or one started "
             "for it in the background), it never pays a cold start of its own"),
    ] = 3  # fmt: skip
    lambda_warm_max: Annotated[
        int,
        Meta(ge=0, le=256,
             description="the most workers a function is kept warm for its recent concurrency, "
             "and the most that queued requests make it start"),
    ] = 16  # fmt: skip
    lambda_warm_window_s: Annotated[
        float,
        Meta(gt=0,
             description="seconds a function's concurrency is remembered: its workers are kept "
             "for the highest concurrency seen this long ago or less; a worker above that idle "
             "this long is stopped"),
    ] = 300.0  # fmt: skip
    cache_dir: Annotated[
        Path,
        Meta(description="built artifacts kept across homes (the lambdas' pip-built dependency "
             "layer)"),
    ] = dataclasses.field(default_factory=lambda: Path.home() / ".cache" / "atelier")  # fmt: skip

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"
