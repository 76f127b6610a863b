"""One canary run: its handler in a fresh Python process, Lambda-like.

The process sees what a canary sees on AWS: its code (the zip's ``python/`` directory, where
the Python Synthetics runtimes look for the handler's module), its ``RunConfig`` environment
variables, the execution role's session credentials, ``AWS_REGION`` and, here, the runtime's
``AWS_ENDPOINT_URL``. The handler is called as ``handler(event, context)``; an exception fails
the run with ``<ExceptionType>: <message>`` as its reason, a run past ``TimeoutInSeconds``
fails with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from atelier.emulator.lambda_.archive import extract_within

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")


@dataclass
class Outcome:
    passed: bool
    reason: str
    duration_ms: float
    log: str


def unpack(zip_bytes: bytes, dest: Path) -> Path:
    """The zip extracted once per code version; its ``python/`` directory, or its root."""
    if not (dest / ".complete").exists():
        dest.mkdir(parents=True, exist_ok=True)
        extract_within(zip_bytes, dest)
        (dest / ".complete").write_text("ok")
    return dest / "python" if (dest / "python").is_dir() else dest


def run(code_dir: Path, handler: str, env: dict[str, str], timeout: float) -> Outcome:
    module, _, function = handler.rpartition(".")
    child_env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    child_env.update(env)
    child_env["PYTHONPATH"] = str(code_dir)
    child_env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-s", str(BOOTSTRAP), module, function],
            env=child_env,
            cwd=code_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        log = out.decode() if isinstance(out, bytes) else out
        return Outcome(
            False,
            f"Canary timed out after {timeout:g} seconds",
            (time.perf_counter() - started) * 1000,
            log,
        )
    duration = (time.perf_counter() - started) * 1000
    result: dict[str, str] = {}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("__ATELIER_CANARY_RESULT__ "):
            result = json.loads(line.split(" ", 1)[1])
            break
    log = proc.stdout + proc.stderr
    if proc.returncode == 0 and result.get("status") == "PASSED":
        return Outcome(True, "", float(result.get("duration_ms", duration)), log)
    reason = result.get("reason") or f"the canary process exited with {proc.returncode}"
    return Outcome(False, reason, float(result.get("duration_ms", duration)), log)
