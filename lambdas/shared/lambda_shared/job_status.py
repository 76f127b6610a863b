"""``GET /jobs/{job_id}``: the job, after making sure an unfinished job's task is still alive.

A job is written by its task; a task that dies (OOM kill, spot reclaim, crash before its
handler ran) cannot say so. So this read checks: a PENDING or RUNNING job whose ECS task is
STOPPED (or gone) is marked FAILED with the task's stop reason and exit code, by a
conditional update that loses harmlessly to the task's own final write. A PENDING job that
never got a task (its lambda died between the two writes) fails after ``UNSTARTED_AFTER``.
If ECS cannot be asked (throttled, not permitted), the stored job is answered unchanged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_shared import settings
from lambda_shared.api import logger
from lambda_shared.aws import client
from lambda_shared.errors import BadRequest, NotFound
from lambda_shared.tasks import task_end
from ml_common.jobs import PENDING, RUNNING, JobStateError, JobStore, public_view

JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
UNSTARTED_AFTER = timedelta(minutes=5)  # far beyond a submit lambda's 15 s timeout
NEVER_STARTED = "the job's task was never started (the submitting request did not finish)"


def job_id_from_path(value: str | None) -> str:
    """A canonical (lowercase) uuid4, or 400."""
    candidate = (value or "").lower()
    if not JOB_ID.fullmatch(candidate):
        raise BadRequest("the job id must be a UUID like 0b9f6c1e-2d3a-4c5b-8e7f-1a2b3c4d5e6f")
    return candidate


def _created(job: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(job.get("created_at", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


def _death(job: dict[str, Any], cluster: str, now: datetime) -> str | None:
    """Why this unfinished job can no longer finish, or None while it still can."""
    task_arn = job.get("task_arn")
    if not task_arn:
        created = _created(job)
        stale = job["status"] == PENDING and created is not None and now - created > UNSTARTED_AFTER
        return NEVER_STARTED if stale else None
    try:
        end = task_end(cluster, str(task_arn))
    except (ClientError, BotoCoreError) as exc:
        logger.warning("cannot check the job's task", job_id=job["job_id"], reason=str(exc))
        return None
    return end.describe() if end.stopped else None


def reconcile(store: JobStore, job: dict[str, Any], cluster: str, now: datetime) -> dict[str, Any]:
    """``job``, marked FAILED first if its task is known to be dead."""
    if job.get("status") not in (PENDING, RUNNING):
        return job
    reason = _death(job, cluster, now)
    if reason is None:
        return job
    try:
        failed = store.mark_failed(job["job_id"], reason)
    except JobStateError:  # the task (or another reader) wrote a final state first
        return store.get(job["job_id"]) or job
    except ClientError as exc:  # e.g. no write permission: answer what is stored
        logger.warning("cannot mark the job failed", job_id=job["job_id"], reason=str(exc))
        return job
    logger.warning("job failed: task stopped", job_id=job["job_id"], reason=reason)
    return failed


def get_job(raw_id: str | None, now: datetime | None = None) -> dict[str, Any]:
    job_id = job_id_from_path(raw_id)
    conf = settings.jobs_settings()
    store = JobStore(conf.jobs_table, client("dynamodb"))
    job = store.get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    job = reconcile(store, job, conf.ecs_cluster, now or datetime.now(UTC))
    return public_view(job)
