from __future__ import annotations

from typing import Any

import pytest

from ml_common.errors import JobStateError
from ml_common.jobs import Jobs


def test_lifecycle_records_times_progress_and_outputs(
    aws: dict[str, Any], pending_job: Any
) -> None:
    pending_job("j1")
    jobs = Jobs()
    jobs.running("j1", device="cpu")
    jobs.progress("j1", 2, 5)
    jobs.succeeded("j1", {"result": "s3://b/k"})
    job = jobs.get("j1")
    assert job is not None
    assert job["status"] == "SUCCEEDED"
    assert job["device"] == "cpu"
    assert job["progress"] == {"round": 2, "of": 5}
    assert job["outputs"] == {"result": "s3://b/k"}
    assert job["started_at"] <= job["finished_at"]


def test_terminal_jobs_are_immutable(aws: dict[str, Any], pending_job: Any) -> None:
    pending_job("j2")
    jobs = Jobs()
    jobs.running("j2")
    jobs.failed("j2", "boom")
    with pytest.raises(JobStateError, match="job is FAILED"):
        jobs.succeeded("j2", {})
    with pytest.raises(JobStateError):
        jobs.running("j2")
    job = jobs.get("j2")
    assert job is not None and job["error"] == "boom"


def test_missing_job_is_never_created(aws: dict[str, Any]) -> None:
    jobs = Jobs()
    with pytest.raises(JobStateError, match="job is missing"):
        jobs.running("nope")
    with pytest.raises(JobStateError):
        jobs.failed("nope", "x")
    assert jobs.get("nope") is None


def test_pending_job_can_fail_directly_and_error_is_capped(
    aws: dict[str, Any], pending_job: Any
) -> None:
    pending_job("j3")
    jobs = Jobs()
    jobs.failed("j3", "x" * 10_000)
    job = jobs.get("j3")
    assert job is not None and job["status"] == "FAILED" and len(job["error"]) == 2000
