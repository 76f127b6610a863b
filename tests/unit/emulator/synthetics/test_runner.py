"""A started canary runs on its schedule, on the runner's clock; each run is recorded."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

from atelier.emulator.synthetics import api, invoke
from atelier.emulator.synthetics.runner import Runner


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/probe.py", source)
    return buffer.getvalue()


def test_due_follows_the_rate_on_the_runner_clock(tmp_path: Path) -> None:
    now = [1000.0]
    runner = Runner("http://127.0.0.1:1", tmp_path, clock=lambda: now[0])
    body = {
        "Name": "tick",
        "ArtifactS3Location": "b/",
        "RuntimeVersion": "syn-python-selenium-4.1",
        "ExecutionRoleArn": "arn:aws:iam::000000000000:role/r",
        "Code": {"Handler": "probe.handler", "ZipFile": base64.b64encode(_zip("")).decode()},
        "Schedule": {"Expression": "rate(2 minutes)"},
    }
    canary = api.create(runner.store, "000000000000", "us-east-1", body, runner.fetch_s3)
    assert runner.due() == []  # READY: never runs
    api.start(canary, now[0])
    assert runner.due() == [canary]  # the first run at start
    runner._busy.clear()
    now[0] += 119
    assert runner.due() == []
    now[0] += 1
    assert runner.due() == [canary]  # one period later
    runner._busy.clear()
    api.stop(canary, now[0])
    now[0] += 600
    assert runner.due() == []


def test_a_passing_handler_passes_and_a_raising_one_fails_with_its_reason(tmp_path: Path) -> None:
    ok = invoke.unpack(
        _zip("import os\ndef handler(e, c):\n    assert os.environ['X'] == '1'\n"), tmp_path / "ok"
    )
    assert invoke.run(ok, "probe.handler", {"X": "1"}, 20).passed
    broken = invoke.run(ok, "probe.handler", {"X": "2"}, 20)
    assert not broken.passed and broken.reason.startswith("AssertionError")
    boom = invoke.unpack(
        _zip("def handler(e, c):\n    raise RuntimeError('API answered 500')\n"), tmp_path / "boom"
    )
    failed = invoke.run(boom, "probe.handler", {}, 20)
    assert (failed.passed, failed.reason) == (False, "RuntimeError: API answered 500")
    missing = invoke.run(boom, "nope.handler", {}, 20)
    assert not missing.passed and "ModuleNotFoundError" in missing.reason


def test_a_run_past_its_timeout_fails(tmp_path: Path) -> None:
    slow = invoke.unpack(_zip("import time\ndef handler(e, c):\n    time.sleep(30)\n"), tmp_path)
    out = invoke.run(slow, "probe.handler", {}, 1)
    assert not out.passed and out.reason == "Canary timed out after 1 seconds"
