"""The runtime's set-up before its port opens (``server.build``) leaves MiniStack's Lambda, SNS,
CloudWatch, CloudWatch Logs, ECS and ELBv2 services unimported, as plain MiniStack does (and pydantic too), and every
Atelier patch to them is in place once they are imported. Each case runs in a fresh
interpreter: this process has MiniStack's modules loaded already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = r"""
import json, sys
from atelier.config import Settings
from atelier.emulator import server
from atelier.emulator.ministack_compat import post_import

if sys.argv[1] == "without-hook":  # broken on purpose: patches registered nowhere
    post_import.when_imported = lambda *args, **kwargs: None
settings = Settings(home=sys.argv[2], port=1)
server.configure_environment(settings)
setup = server.build(settings)
LAZY = ("ministack.services.lambda_svc", "ministack.core.lambda_runtime", "ministack.services.sns",
        "ministack.services.cloudwatch", "ministack.services.cloudwatch_logs",
        "ministack.services.ecs", "ministack.services.alb", "pydantic")
before = [name for name in LAZY if name in sys.modules]
import ministack.services.sns  # what an SNS call does first; it imports the Lambda service
import ministack.services.cloudwatch  # what the first CloudWatch call does
import ministack.services.ecs  # ... and the first ECS call (it loads Logs and ELBv2 too)

from ministack.core import lambda_runtime as rt
from ministack.services import lambda_svc, sns
from atelier.emulator.ministack_compat import lambda_, lambda_python, lambda_warm
from atelier.emulator.ministack_compat import sns as sns_compat
from atelier.emulator.ministack_compat import cloudwatch as cw_compat
from atelier.emulator.ministack_compat import alb as alb_compat
from atelier.emulator.ministack_compat import logs as logs_compat
from ministack.services import alb, cloudwatch, cloudwatch_logs

agent = setup.app.app.agent
agent.reconcile_ecs_now()  # what the middleware does after an ECS call

checks = {
    "meter": getattr(lambda_svc._execute_function_dispatch, "_atelier_meter", False),
    "log drain": rt.Worker._drain_stderr_bounded is lambda_.drain_worker_stderr,
    "lazy botocore": "_ms_install_invoke_depth_lazy()" in rt._PYTHON_WORKER_SCRIPT,
    "cold-start gate": rt.acquire_worker is lambda_warm.gated_acquire
    and lambda_svc.acquire_worker is lambda_warm.gated_acquire,
    "import errors": lambda_python.IMPORT_ERROR in rt._PYTHON_WORKER_SCRIPT
    and "report_import_errors" in lambda_svc._execute_function_warm.__qualname__,
    "isolated interpreter": getattr(rt._detect_runtime_binary, "_atelier", False),
    "sns deliveries": sns._fanout is sns_compat._fanout,
    "alarms evaluated": cloudwatch._put_metric_alarm is cw_compat._checked_put_alarm,
    "compute agent": agent._ecs is not None,
    "metric filters": cloudwatch_logs._put_metric_filter is logs_compat._checked_put_filter,
    "log bytes metered": getattr(cloudwatch_logs._append_log_events, "_atelier_meter", False),
    "keep-alive forwarding": alb._proxy_http_target is alb_compat.proxy,
}
print(json.dumps({
    "before": before,
    "missing": sorted(name for name, ok in checks.items() if not ok),
    "applied": post_import.applied(),
}))
setup.close()
"""
PATCHES = [
    "alarms evaluated",
    "cold-start gate",
    "compute agent",
    "import errors",
    "isolated interpreter",
    "keep-alive forwarding",
    "lazy botocore",
    "log bytes metered",
    "log drain",
    "meter",
    "metric filters",
    "sns deliveries",
]


def _run(mode: str, home: Path) -> dict[str, Any]:
    env = {**os.environ, "ATELIER_LOG_LEVEL": "WARNING", "ATELIER_LAMBDA_TUNING": "1"}
    for key in ("ATELIER_HOME", "ATELIER_PORT", "ATELIER_LAMBDA_WARM_WORKERS"):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, str(home)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_the_port_opens_without_the_lambda_service_and_its_first_import_patches_it(
    tmp_path: Path,
) -> None:
    result = _run("as-built", tmp_path / "home")
    assert result["before"] == [], f"imported before the port opens: {result['before']}"
    assert result["missing"] == []
    assert result["applied"]["ministack.services.lambda_svc"] == [
        "metered",
        "Lambda worker fixes",
        "cold starts gated",
        "import errors as on AWS",
        "layers extracted once",
        "isolated interpreter",
    ]
    assert result["applied"]["ministack.services.sns"] == ["SNS deliveries"]
    assert "alarms evaluated" in result["applied"]["ministack.services.cloudwatch"]
    assert "compute agent" in result["applied"]["ministack.services.ecs"]


@pytest.mark.slow
def test_the_check_names_every_patch_missing_when_the_hook_is_gone(tmp_path: Path) -> None:
    result = _run("without-hook", tmp_path / "home")
    assert result["before"] == []
    assert result["missing"] == PATCHES
