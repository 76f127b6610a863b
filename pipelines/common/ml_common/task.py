"""The life of a job-driven task: RUNNING, work, SUCCEEDED or FAILED, and a non-zero exit.

A task that is stopped (SIGTERM from ECS StopTask or the local agent) marks its job FAILED with
"stopped" before exiting, so no job stays RUNNING after its task died.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from types import FrameType

from ml_common.errors import PipelineError
from ml_common.jobs import (
    EXIT_BAD_INPUT,
    EXIT_CRASH,
    EXIT_JOB_STATE,
    EXIT_OK,
    EXIT_STOPPED,
    JobStateError,
    JobStore,
)

log = logging.getLogger("ml_common.task")


class Stopped(BaseException):
    """Raised in the main thread by the SIGTERM handler (BaseException: not swallowed)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stopped()


def _fail(jobs: JobStore, job_id: str, message: str) -> None:
    try:
        jobs.mark_failed(job_id, message)
    except JobStateError as exc:
        log.warning("could not mark job failed: %s", exc)


def run_job(
    job_id: str,
    work: Callable[[JobStore], dict[str, str]],
    *,
    jobs: JobStore | None = None,
    device: str | None = None,
) -> int:
    """Run ``work`` for ``job_id``; return the process exit code (``ml_common.jobs``: 0 on
    success, 3 when the job was not this task's to change, 2 bad input, 143 stopped, 1 crash)."""
    table = jobs or JobStore()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            table.mark_running(job_id, device=device)
        except JobStateError as exc:
            log.error("%s", exc)
            return EXIT_JOB_STATE
        except Stopped:
            _fail(table, job_id, "stopped")
            return EXIT_STOPPED
        try:
            outputs = work(table)
            table.mark_succeeded(job_id, outputs)
        except JobStateError as exc:  # a lost race (e.g. the job was ended meanwhile)
            log.error("%s", exc)
            return EXIT_JOB_STATE
        except PipelineError as exc:
            log.error("job %s failed: %s", job_id, exc)
            _fail(table, job_id, str(exc))
            return EXIT_BAD_INPUT
        except Stopped:
            log.error("job %s stopped by SIGTERM", job_id)
            _fail(table, job_id, "stopped")
            return EXIT_STOPPED
        except Exception as exc:
            log.exception("job %s crashed", job_id)
            _fail(table, job_id, f"internal error ({type(exc).__name__}); see the task logs")
            return EXIT_CRASH
        log.info("job %s succeeded: %s", job_id, outputs)
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
