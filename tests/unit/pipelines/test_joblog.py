"""Job transitions are logged as JSON lines that the Terraform ``jobs-failed`` filter matches."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from atelier.emulator.logs.patterns import compile_pattern
from ml_common.errors import PipelineError
from ml_common.jobs import JobStore
from ml_common.task import run_job

ROOT = Path(__file__).resolve().parents[3]


def _terraform_jobs_failed_pattern() -> str:
    main = (ROOT / "terraform/modules/monitoring/main.tf").read_text()
    block = main.split('resource "aws_cloudwatch_log_metric_filter" "jobs_failed"', 1)[1]
    raw = re.search(r'pattern\s*=\s*"((?:[^"\\]|\\.)*)"', block)
    assert raw, "jobs_failed filter has no pattern"
    return str(json.loads(f'"{raw.group(1)}"'))


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in out.splitlines() if x.startswith('{"event": "job_transition"')]


def test_failed_job_logs_one_line_the_terraform_filter_counts(
    aws: dict[str, Any], pending_job: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pending_job("job-log-1")

    def work(jobs: JobStore) -> dict[str, str]:
        raise PipelineError("bad input link")

    run_job("job-log-1", work)
    lines = _lines(capsys.readouterr().out)
    assert [ln["status"] for ln in lines] == ["RUNNING", "FAILED"]
    failed = lines[-1]
    assert failed["job_id"] == "job-log-1" and failed["error_class"] == "PipelineError"
    assert failed["duration_s"] is not None and failed["pipeline"]
    matcher = compile_pattern(_terraform_jobs_failed_pattern())
    assert matcher(json.dumps(failed)) is not None
    assert matcher(json.dumps(lines[0])) is None  # RUNNING is not a failure
    # the old plain-text log line is what the filter could never match
    assert matcher("ERROR ml_common.task job job-log-1 failed: bad input link") is None


def test_succeeded_job_logs_duration(
    aws: dict[str, Any], pending_job: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pending_job("job-log-2")
    run_job("job-log-2", lambda jobs: {"result": "s3://r/x"})
    lines = _lines(capsys.readouterr().out)
    assert [ln["status"] for ln in lines] == ["RUNNING", "SUCCEEDED"]
    assert lines[-1]["duration_s"] >= 0 and lines[-1]["error_class"] is None
