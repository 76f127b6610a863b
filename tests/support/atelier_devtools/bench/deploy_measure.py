"""Deploy benchmark for ``nox -s bench -- deploy``: a fresh deploy, a repeat, a destroy.

Each is timed as a user runs it (``python -m atelier.cli deploy`` in a new process, interpreter
start and imports included) against ``endpoint_url``, with a private ``ATELIER_HOME`` and a copy
of the deployable sources, so the user's ``.atelier/`` (outputs, credentials) is never touched.
It deploys its own environment, ``bench`` (a clone of ``local``: ``atelier-bench-*``), so a
user's local stack on the same runtime is left alone; whatever an earlier bench left there is
destroyed first, so a fresh deploy is fresh.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from atelier.config import Settings
from atelier.deploy import apply
from atelier.deploy.context import Deployment
from atelier.deploy.teardown import DESTROY
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.sandbox import stage_sources

ENV = "bench"
TARGETS_S = {"fresh_deploy_s": 10.0, "repeat_deploy_s": 2.0}
STEP_TIMEOUT_S = 300.0


class DeployBenchFailed(RuntimeError):
    """A step failed; ``step`` names it and ``partial`` holds what was measured before it."""

    def __init__(self, step: str, message: str, partial: dict[str, Any]) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message
        self.partial = partial


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli(env: dict[str, str], topology: Path, *args: str) -> tuple[float, str, float]:
    """Wall seconds, output and CPU seconds of one ``atelier`` command in a new process."""
    started, cpu = time.perf_counter(), _cpu()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "atelier.cli", *args, "--topology", str(topology)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=STEP_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"atelier {' '.join(args)} timed out after {STEP_TIMEOUT_S:.0f} s"
        ) from None
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"atelier {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout, _cpu() - cpu


def measure(endpoint_url: str, keep: bool = False) -> dict[str, Any]:
    """Seconds for a deploy from scratch, a repeat (which must change nothing) and a destroy.

    A failing step raises :class:`DeployBenchFailed` naming it, with the figures measured so far.
    """
    url = urlparse(endpoint_url)
    result: dict[str, Any] = {"targets_s": TARGETS_S}
    step = "clean"
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp:
        try:
            root = stage_sources(REPO_ROOT, Path(tmp), ENV)
            topology = root / "topology.yaml"
            host, port = url.hostname or "127.0.0.1", url.port or 4566
            settings = Settings(
                host=host, port=port, home=root / ".atelier", repo_root=root, env=ENV
            )
            apply.run(Deployment.from_settings(settings, topology), DESTROY)
            env = {
                **os.environ,
                "ATELIER_HOST": host,
                "ATELIER_PORT": str(port),
                "ATELIER_HOME": str(settings.home),
                "ATELIER_REPO_ROOT": str(root),
                "ATELIER_ENV": ENV,
                "COLUMNS": "200",
            }
            step = "fresh_deploy"
            fresh, _, fresh_cpu = _cli(env, topology, "deploy")
            # CPU of the deploy process itself: the part that does not depend on machine load
            result.update(fresh_deploy_s=round(fresh, 3), fresh_deploy_cpu_s=round(fresh_cpu, 3))
            step = "repeat_deploy"
            repeat, repeat_output, repeat_cpu = _cli(env, topology, "deploy")
            result.update(
                repeat_deploy_s=round(repeat, 3),
                repeat_deploy_cpu_s=round(repeat_cpu, 3),
                load_average_1m=round(os.getloadavg()[0], 2),
                repeat_reported_no_changes="no changes" in repeat_output,
                within_targets=fresh <= TARGETS_S["fresh_deploy_s"]
                and repeat <= TARGETS_S["repeat_deploy_s"],
            )
            if not keep:
                step = "destroy"
                result["destroy_s"] = round(_cli(env, topology, "destroy", "--yes")[0], 3)
        except Exception as exc:  # re-raised with the step that failed
            raise DeployBenchFailed(step, str(exc), result) from exc
    return result


if __name__ == "__main__":
    import json

    target = sys.argv[1] if len(sys.argv) > 1 else Settings().endpoint_url
    print(json.dumps(measure(target), indent=2))
