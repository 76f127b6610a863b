"""The Lambda interpreter: the stdlib and boto3's distributions, nothing else of the platform."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from atelier.emulator.lambda_ import python_runtime


def test_the_interpreter_has_boto3_and_not_the_platforms_packages(tmp_path: Path) -> None:
    python = python_runtime.ensure(tmp_path)
    probe = (
        "import importlib.util, json; print(json.dumps({m: importlib.util.find_spec(m) is not None"
        " for m in ('boto3', 'botocore', 'dateutil', 'jmespath', 'six', 'urllib3', 's3transfer',"
        " 'jwt', 'pydantic', 'atelier', 'aws_lambda_powertools')}))"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert {m for m, ok in found.items() if ok} == {
        "boto3", "botocore", "dateutil", "jmespath", "six", "urllib3", "s3transfer"}  # fmt: skip


def test_it_is_created_once(tmp_path: Path) -> None:
    python = python_runtime.ensure(tmp_path)
    marker = tmp_path / "lambda-python" / python_runtime.MARKER
    stamp = marker.stat().st_mtime_ns
    assert python_runtime.ensure(tmp_path) == python
    assert marker.stat().st_mtime_ns == stamp
