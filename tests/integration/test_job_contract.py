"""The job contract (``ml_common.jobs``), once, against DynamoDB on the runtime.

The lambdas (create, task ARN, reconciling read) and the pipelines' tasks (running, progress,
final state, exit code) share this store; these tests hold its state machine, its races and
the exit codes ``ml_common.task.run_job`` returns.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from atelier_devtools.runtime import Runtime
from ml_common.errors import LinkError, PipelineError
from ml_common.jobs import (
    EXIT_BAD_INPUT,
    EXIT_CRASH,
    EXIT_JOB_STATE,
    EXIT_OK,
    FAILED,
    MAX_ERROR_CHARS,
    PENDING,
    PREDECESSORS,
    RUNNING,
    STATUSES,
    SUCCEEDED,
    JobStateError,
    JobStore,
    new_job_id,
)
from ml_common.task import run_job

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(runtime: Runtime) -> Iterator[JobStore]:
    ddb = runtime.client("dynamodb")
    table = f"jobs-contract-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        yield JobStore(table, ddb)
    finally:
        ddb.delete_table(TableName=table)


def pending(store: JobStore) -> str:
    job_id = new_job_id()
    store.create(job_id, "p", {"link": "s3://b/k.png"})
    return job_id


def test_a_job_lives_pending_running_succeeded(store: JobStore) -> None:
    job_id = pending(store)
    store.set_task_arn(job_id, "arn:aws:ecs:us-east-1:000000000000:task/c/t1")
    store.mark_running(job_id, device="cpu")
    store.progress(job_id, 2, 5)
    done = store.mark_succeeded(job_id, {"result": "s3://b/result.json"})
    assert done == store.get(job_id)
    assert done["status"] == SUCCEEDED and done["device"] == "cpu"
    assert done["progress"] == {"round": 2, "of": 5}
    assert done["outputs"] == {"result": "s3://b/result.json"}
    assert done["created_at"] <= done["started_at"] <= done["finished_at"]
    assert done["request"] == {"link": "s3://b/k.png"}


def test_final_states_are_final_and_missing_jobs_are_never_created(store: JobStore) -> None:
    job_id = pending(store)
    with pytest.raises(JobStateError):
        store.mark_succeeded(job_id, {})  # PENDING -> SUCCEEDED skips RUNNING
    store.mark_failed(job_id, "x" * 10_000)  # PENDING -> FAILED is allowed, error capped
    with pytest.raises(JobStateError, match="job is FAILED") as late:
        store.mark_running(job_id)
    assert late.value.current == FAILED and late.value.wanted == RUNNING
    with pytest.raises(JobStateError):
        store.progress(job_id, 1, 2)  # progress only on a running job
    assert len(store.get(job_id)["error"]) == MAX_ERROR_CHARS  # type: ignore[index]
    ghost = new_job_id()
    with pytest.raises(JobStateError, match="job is missing") as missing:
        store.mark_failed(ghost, "x")
    assert missing.value.current is None and store.get(ghost) is None
    with pytest.raises(ClientError):
        store.create(job_id, "p", {})  # never overwritten
    with pytest.raises(JobStateError):
        store.set_task_arn(ghost, "arn:t")


def test_of_two_racing_writers_exactly_one_wins(store: JobStore) -> None:
    """The task's SUCCEEDED and a reconciler's FAILED, at once: one wins, the other is told."""
    job_id = pending(store)
    store.mark_running(job_id)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def write(name: str, call: Any) -> None:
        barrier.wait()
        try:
            results[name] = call()["status"]
        except JobStateError as exc:
            results[name] = exc

    writers = [
        threading.Thread(target=write, args=("task", lambda: store.mark_succeeded(job_id, {}))),
        threading.Thread(target=write, args=("reader", lambda: store.mark_failed(job_id, "dead"))),
    ]
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=30)
    lost = [r for r in results.values() if isinstance(r, JobStateError)]
    won = [r for r in results.values() if isinstance(r, str)]
    assert len(lost) == 1 and len(won) == 1, results
    assert store.get(job_id)["status"] == won[0] == lost[0].current  # type: ignore[index]


ALLOWED = {s: {t for t, froms in PREDECESSORS.items() if s in froms} for s in STATUSES}


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from([RUNNING, SUCCEEDED, FAILED]), max_size=5))
def test_any_sequence_of_writes_only_moves_forward(store: JobStore, writes: list[str]) -> None:
    job_id = pending(store)
    state = PENDING
    for target in writes:
        try:
            store.transition(job_id, target)
        except JobStateError:
            assert target not in ALLOWED[state]
        else:
            assert target in ALLOWED[state]
            state = target
        assert store.get(job_id)["status"] == state  # type: ignore[index]


# ---- exit codes: what a task's run_job returns, and what its job says --------------------


def test_success_exits_0(store: JobStore) -> None:
    job_id = pending(store)
    assert run_job(job_id, lambda jobs: {"result": "s3://b/r"}, jobs=store) == EXIT_OK
    assert store.get(job_id)["status"] == SUCCEEDED  # type: ignore[index]


def test_bad_input_exits_2_with_the_message_on_the_job(store: JobStore) -> None:
    job_id = pending(store)

    def work(jobs: JobStore) -> dict[str, str]:
        raise LinkError("the link points at a private address")

    assert issubclass(LinkError, PipelineError)
    assert run_job(job_id, work, jobs=store) == EXIT_BAD_INPUT
    job = store.get(job_id)
    assert job is not None and job["status"] == FAILED
    assert job["error"] == "the link points at a private address"


def test_a_lost_race_exits_3_not_bad_input(store: JobStore) -> None:
    """The job is ended by someone else while the task works: exit 3, the job left as it is."""
    job_id = pending(store)

    def work(jobs: JobStore) -> dict[str, str]:
        jobs.mark_failed(job_id, "cancelled by a reconciling read")
        return {"result": "s3://b/r"}

    assert run_job(job_id, work, jobs=store) == EXIT_JOB_STATE
    job = store.get(job_id)
    assert job is not None and job["error"] == "cancelled by a reconciling read"


def test_a_job_that_is_not_pending_exits_3(store: JobStore) -> None:
    assert run_job(new_job_id(), lambda jobs: {}, jobs=store) == EXIT_JOB_STATE


def test_a_crash_exits_1_without_the_trace_on_the_job(store: JobStore) -> None:
    job_id = pending(store)

    def work(jobs: JobStore) -> dict[str, str]:
        raise KeyError("secret-internal-detail")

    assert run_job(job_id, work, jobs=store) == EXIT_CRASH
    job = store.get(job_id)
    assert job is not None and job["status"] == FAILED
    assert "secret-internal-detail" not in job["error"] and "KeyError" in job["error"]


def test_job_state_error_is_not_a_bad_input_error() -> None:
    """A lost race must not be caught as a PipelineError (which means exit 2)."""
    assert not issubclass(JobStateError, PipelineError)
