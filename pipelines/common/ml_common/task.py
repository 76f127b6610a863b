"""The life of a job-driven task: RUNNING, work, SUCCEEDED or FAILED, and a non-zero exit.

A task that is stopped (SIGTERM from ECS StopTask or the local agent) marks its job FAILED with
"stopped" before exiting, so no job stays RUNNING after its task died. A job that runs past
``JOB_TIMEOUT_SECONDS`` (ECS has no task timeout: the task keeps its own) is marked FAILED
"timed out after N s" and the task exits 124. A task killed outright (SIGKILL, out of memory)
cannot write anything: ``GET /jobs/{id}`` then marks the job FAILED with the task's stop reason.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

from ml_common import joblog
from ml_common.errors import PipelineError
from ml_common.jobs import (
    EXIT_BAD_INPUT,
    EXIT_CRASH,
    EXIT_JOB_STATE,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_TIMED_OUT,
    JobStateError,
    JobStore,
)

log = logging.getLogger("ml_common.task")

TIMEOUT_ENV = "JOB_TIMEOUT_SECONDS"


class Stopped(BaseException):
    """Raised in the main thread by the SIGTERM handler (BaseException: not swallowed)."""


class TimedOut(BaseException):
    """Raised in the main thread when the job's time is up."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stopped()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimedOut()


def timeout_from_env() -> float | None:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        log.warning("%s=%r is not a number: no timeout", TIMEOUT_ENV, raw)
        return None
    return value if value > 0 else None


def _fail(
    jobs: JobStore, job_id: str, message: str, error_class: str, started: float | None = None
) -> None:
    try:
        jobs.mark_failed(job_id, message)
    except JobStateError as exc:
        log.warning("could not mark job failed: %s", exc)
        return
    duration = None if started is None else time.monotonic() - started
    joblog.transition(job_id, "FAILED", duration_s=duration, error_class=error_class)


def run_job(
    job_id: str,
    work: Callable[[JobStore], dict[str, str]],
    *,
    jobs: JobStore | None = None,
    device: str | None = None,
    timeout_s: float | None = None,
) -> int:
    """Run ``work`` for ``job_id``; return the process exit code (``ml_common.jobs``: 0 on
    success, 3 when the job was not this task's to change, 2 bad input, 143 stopped, 124 timed out, 1 crash)."""
    table = jobs or JobStore()
    limit = timeout_s if timeout_s is not None else timeout_from_env()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    previous_alarm = signal.signal(signal.SIGALRM, _on_alarm)
    if limit:
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        try:
            table.mark_running(job_id, device=device)
        except JobStateError as exc:
            log.error("%s", exc)
            return EXIT_JOB_STATE
        except Stopped:
            _fail(table, job_id, "stopped", "Stopped")
            return EXIT_STOPPED
        started = time.monotonic()
        joblog.transition(job_id, "RUNNING")
        try:
            outputs = work(table)
            table.mark_succeeded(job_id, outputs)
        except JobStateError as exc:  # a lost race (e.g. the job was ended meanwhile)
            log.error("%s", exc)
            return EXIT_JOB_STATE
        except PipelineError as exc:
            log.error("job %s failed: %s", job_id, exc)
            _fail(table, job_id, str(exc), type(exc).__name__, started)
            return EXIT_BAD_INPUT
        except Stopped:
            log.error("job %s stopped by SIGTERM", job_id)
            _fail(table, job_id, "stopped", "Stopped", started)
            return EXIT_STOPPED
        except TimedOut:
            log.error("job %s timed out after %gs", job_id, limit)
            _fail(table, job_id, f"timed out after {limit:g} s", "TimedOut", started)
            return EXIT_TIMED_OUT
        except Exception as exc:
            log.exception("job %s crashed", job_id)
            message = f"internal error ({type(exc).__name__}); see the task logs"
            _fail(table, job_id, message, type(exc).__name__, started)
            return EXIT_CRASH
        joblog.transition(job_id, "SUCCEEDED", duration_s=time.monotonic() - started)
        log.info("job %s succeeded: %s", job_id, outputs)
        return EXIT_OK
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGTERM, previous)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
