"""Build a :class:`TaskSpec` from an ECS task, its task definition and the image's Dockerfile.

Precedence follows ECS: Dockerfile ENV < task definition ``environment`` < RunTask overrides,
and the task definition's ``entryPoint``/``command`` (then the override's ``command``) win over
the Dockerfile's ENTRYPOINT/CMD. The agent then adds what every process gets: the emulator's
endpoint and test credentials, ``HOST`` (the task's own loopback address) and, for GPU tasks,
``ATELIER_DEVICE``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from atelier.config import Settings
from atelier.emulator.ecs import memory
from atelier.emulator.ecs.dockerfile import (
    DockerfileError,
    container_argv,
    find_dockerfile,
    parse_dockerfile,
)
from atelier.emulator.ecs.executor import PortMapping, StartError, TaskSpec
from atelier.emulator.ecs.gpu import GpuInfo, wants_gpu

STOP_TIMEOUT_ENV = "ATELIER_STOP_TIMEOUT"
_PYTHON_RE = re.compile(r"^python(3(\.\d+)?)?$")
# what a process inherits from the runtime's own environment (a container would get its
# image's; these keep a local interpreter and its caches working)
_INHERITED = ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "VIRTUAL_ENV", "TZ")


@dataclass
class BuiltTask:
    spec: TaskSpec
    container: dict[str, Any]
    device: str | None  # "cuda" | "cpu" for GPU tasks, None otherwise
    gpu_fallback: bool


def essential_container(td: dict[str, Any]) -> dict[str, Any]:
    containers = td.get("containerDefinitions") or []
    if not containers:
        raise StartError("TaskFailedToStart: the task definition has no containers")
    return next((c for c in containers if c.get("essential", True)), containers[0])


def _override(task: dict[str, Any], name: str) -> dict[str, Any]:
    for item in (task.get("overrides") or {}).get("containerOverrides") or []:
        if item.get("name") == name:
            return dict(item)
    return {}


def _pairs(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {str(e["name"]): str(e.get("value", "")) for e in items or [] if "name" in e}


def default_stop_timeout() -> float:
    try:
        return float(os.environ.get(STOP_TIMEOUT_ENV, "30"))
    except ValueError:
        return 30.0


def _localize(argv: list[str], host_path: Any) -> list[str]:
    out: list[str] = []
    for i, arg in enumerate(argv):
        if i == 0 and _PYTHON_RE.match(PurePosixPath(arg).name):
            out.append(sys.executable)
            continue
        # container paths (absolute, or relative to WORKDIR) that COPY put there
        mapped = host_path(arg) if arg and not arg.startswith("-") else None
        out.append(str(mapped) if mapped is not None and mapped.exists() else arg)
    return out


def task_access_key(task: dict[str, Any], settings: Settings) -> str:
    """The key a task's AWS calls use: a task started in another account (its ARN says which)
    acts in that account, as its task role would on AWS; the runtime keys requests by a
    12-digit access key. The default account keeps the plain test key."""
    parts = str(task.get("taskArn", "")).split(":")
    account = parts[4] if len(parts) > 5 else ""
    if re.fullmatch(r"\d{12}", account) and account != settings.account_id:
        return account
    return "test"


def task_region(task: dict[str, Any], settings: Settings) -> str:
    """The region a task runs in (its ARN says which), as ECS sets AWS_REGION in a container:
    a task of a cluster in eu-west-3 calls eu-west-3's services (its secrets live there)."""
    parts = str(task.get("taskArn", "")).split(":")
    return parts[3] if len(parts) > 5 and parts[3] else settings.region


def build_task(
    task: dict[str, Any],
    td: dict[str, Any],
    settings: Settings,
    host_ip: str,
    gpu: GpuInfo,
) -> BuiltTask:
    """Raise StartError (CannotPullContainerError / CannotStartContainerError) when it can't."""
    cdef = essential_container(td)
    image = str(cdef.get("image", ""))
    try:
        cfg = parse_dockerfile(find_dockerfile(image, settings.repo_root), settings.repo_root)
    except DockerfileError as exc:
        raise StartError(f"CannotPullContainerError: pull image manifest: {exc}") from exc
    override = _override(task, str(cdef.get("name", "")))
    try:
        argv = container_argv(
            cfg, cdef.get("entryPoint"), override.get("command") or cdef.get("command")
        )
    except DockerfileError as exc:
        raise StartError(f"CannotStartContainerError: {exc}") from exc

    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.update(cfg.env)
    env.update(_pairs(cdef.get("environment")))
    env.update(_pairs(override.get("environment")))
    py_path = [str(p) for p in cfg.python_path()]
    if env.get("PYTHONPATH"):
        py_path.append(env["PYTHONPATH"])
    if py_path:
        env["PYTHONPATH"] = os.pathsep.join(py_path)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH") or os.environ.get("PATH", "")])
    env.update(
        {
            "AWS_ENDPOINT_URL": settings.endpoint_url,
            "AWS_ACCESS_KEY_ID": task_access_key(task, settings),
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": task_region(task, settings),
            "AWS_REGION": task_region(task, settings),
            "HOST": host_ip,
            "ECS_TASK_ARN": str(task.get("taskArn", "")),
        }
    )
    device: str | None = None
    fallback = False
    if wants_gpu(td, cdef):
        device = "cuda" if gpu.available else "cpu"
        fallback = not gpu.available
        env["ATELIER_DEVICE"] = device
        if fallback:
            env["CUDA_VISIBLE_DEVICES"] = ""

    stop_timeout = cdef.get("stopTimeout")
    task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
    spec = TaskSpec(
        task_arn=str(task.get("taskArn", "")),
        image=image,
        argv=_localize(argv, cfg.host_path),
        env=env,
        cwd=cfg.host_workdir(),
        workdir=cfg.workdir,
        workdir_map=dict(cfg.copies),
        gpu=device == "cuda",
        host_ip=host_ip,
        port_mappings=[
            PortMapping(
                int(p["containerPort"]),
                int(p.get("hostPort") or p["containerPort"]),
                str(p.get("protocol", "tcp")),
            )
            for p in cdef.get("portMappings") or []
            if "containerPort" in p
        ],
        stop_timeout=float(stop_timeout) if stop_timeout is not None else default_stop_timeout(),
        container_name=str(cdef.get("name", "main")),
        dockerfile=cfg.dockerfile,
        build_context=cfg.context,
        log_path=settings.logs_dir / "tasks" / f"{task_id}.log",
        memory_mib=memory.limit_mib(td, cdef),
    )
    return BuiltTask(spec=spec, container=cdef, device=device, gpu_fallback=fallback)
