"""The job contract, shared by the API lambdas and the pipelines' tasks (one module, one error).

A job is one DynamoDB item in ``JOBS_TABLE`` (pk ``job_id``; layout in docs/contracts.md):

    PENDING -> RUNNING -> SUCCEEDED | FAILED        (and PENDING -> FAILED)

The lambda creates the job (PENDING) and records its ECS task; the task moves it to RUNNING,
reports progress, and ends it SUCCEEDED or FAILED; a reconciling read may end it FAILED when
its task died. Every change is a conditional write on the current status, so writers can race
without moving a job backwards or out of a final state, and a job that does not exist is never
created by a transition. The loser of a race gets :class:`JobStateError` with the state it
lost to.

A task's exit code says how its job ended (``ml_common.task.run_job`` returns them):

    EXIT_OK          0    the job SUCCEEDED
    EXIT_CRASH       1    an unexpected error; the job is FAILED ("internal error ...")
    EXIT_BAD_INPUT   2    the input was refused (link, image, model...); the job is FAILED
                          with a message for the user
    EXIT_JOB_STATE   3    the job was not this task's to change: missing, already final, or
                          a race lost to another writer (never "bad input")
    EXIT_STOPPED     143  SIGTERM (StopTask); the job is FAILED with "stopped"
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

PENDING, RUNNING, SUCCEEDED, FAILED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED"
STATUSES = (PENDING, RUNNING, SUCCEEDED, FAILED)
# the states each state may be reached from
PREDECESSORS: dict[str, tuple[str, ...]] = {
    RUNNING: (PENDING,),
    SUCCEEDED: (RUNNING,),
    FAILED: (PENDING, RUNNING),
}
PROGRESS_FROM = (RUNNING,)  # progress is recorded on a running job only

EXIT_OK, EXIT_CRASH, EXIT_BAD_INPUT, EXIT_JOB_STATE, EXIT_STOPPED = 0, 1, 2, 3, 143

MAX_ERROR_CHARS = 2000
PUBLIC_FIELDS = (
    "job_id",
    "pipeline",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "request",
    "progress",
    "outputs",
    "error",
    "device",
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class JobStateError(Exception):
    """A change the job's current state does not allow (or the job does not exist).

    Not a bad-input error: the caller did nothing wrong, another writer got there first.
    """

    def __init__(self, job_id: str, wanted: str, current: str | None) -> None:
        super().__init__(f"job {job_id}: cannot become {wanted} (job is {current or 'missing'})")
        self.job_id = job_id
        self.wanted = wanted
        self.current = current


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    return str(uuid.uuid4())


def _stored(value: Any) -> Any:
    """Floats as Decimals (what DynamoDB's serializer takes), recursively."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals as ints/floats, recursively, so a job is JSON-serialisable."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def _attr(value: Any) -> dict[str, Any]:
    return dict(_serializer.serialize(_stored(value)))


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in raw.items()}


def public_view(job: dict[str, Any]) -> dict[str, Any]:
    """What ``GET /jobs/{id}`` shows: status, timings, request, outputs, error, progress."""
    return {k: job[k] for k in PUBLIC_FIELDS if k in job}


def _is_condition_failure(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class JobStore:
    """The jobs of one table. ``table`` defaults to ``$JOBS_TABLE``; ``dynamodb`` is a boto3
    DynamoDB client (default: one built from the environment)."""

    def __init__(self, table: str | None = None, dynamodb: Any = None) -> None:
        from ml_common.aws import client, require_env

        self.table = table or require_env("JOBS_TABLE")
        self._ddb = dynamodb or client("dynamodb")

    def _key(self, job_id: str) -> dict[str, Any]:
        return {"job_id": {"S": job_id}}

    def _status(self, job_id: str) -> str | None:
        current = self.get(job_id)
        return str(current["status"]) if current else None

    def get(self, job_id: str) -> dict[str, Any] | None:
        item = self._ddb.get_item(
            TableName=self.table, Key=self._key(job_id), ConsistentRead=True
        ).get("Item")
        return _item(item) if item else None

    def create(self, job_id: str, pipeline: str, request: dict[str, Any]) -> dict[str, Any]:
        """A new PENDING job; never overwrites an existing one (ClientError if it exists)."""
        job = {
            "job_id": job_id,
            "pipeline": pipeline,
            "status": PENDING,
            "created_at": now_iso(),
            "request": request,
        }
        self._ddb.put_item(
            TableName=self.table,
            Item={k: _attr(v) for k, v in job.items()},
            ConditionExpression="attribute_not_exists(job_id)",
        )
        return job

    def set_task_arn(self, job_id: str, task_arn: str) -> None:
        """Record the ECS task once (whatever the status: a fast task may already run)."""
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key=self._key(job_id),
                UpdateExpression="SET task_arn = :arn",
                ConditionExpression="attribute_exists(job_id) AND attribute_not_exists(task_arn)",
                ExpressionAttributeValues={":arn": {"S": task_arn}},
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
            raise JobStateError(job_id, "task-bound", self._status(job_id)) from exc

    def _update(
        self, job_id: str, wanted: str, sets: dict[str, Any], allowed: tuple[str, ...]
    ) -> dict[str, Any]:
        """SET ``sets`` if the job exists and its status is one of ``allowed``."""
        names = {f"#f{i}": name for i, name in enumerate(sets)} | {"#status": "status"}
        values = {f":v{i}": _attr(value) for i, value in enumerate(sets.values())}
        values |= {f":from{i}": {"S": s} for i, s in enumerate(allowed)}
        options = ", ".join(f":from{i}" for i in range(len(allowed)))
        try:
            item = self._ddb.update_item(
                TableName=self.table,
                Key=self._key(job_id),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(sets))),
                ConditionExpression=f"attribute_exists(job_id) AND #status IN ({options})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
            raise JobStateError(job_id, wanted, self._status(job_id)) from exc
        return _item(item)

    def transition(self, job_id: str, status: str, **fields: Any) -> dict[str, Any]:
        """Move the job to ``status`` (setting ``fields`` too) if its current state allows;
        returns the updated job."""
        allowed = PREDECESSORS.get(status)
        if allowed is None:
            raise ValueError(f"no transition into {status!r}")
        return self._update(job_id, status, {"status": status, **fields}, allowed)

    def mark_running(self, job_id: str, device: str | None = None) -> dict[str, Any]:
        """PENDING -> RUNNING, recording ``started_at`` (and the compute ``device`` if given)."""
        extra = {"device": device} if device else {}
        return self.transition(job_id, RUNNING, started_at=now_iso(), **extra)

    def progress(self, job_id: str, done: int, of: int) -> dict[str, Any]:
        """Record ``{"round": done, "of": of}`` on a RUNNING job."""
        return self._update(
            job_id, "progress", {"progress": {"round": done, "of": of}}, PROGRESS_FROM
        )

    def mark_succeeded(self, job_id: str, outputs: dict[str, str]) -> dict[str, Any]:
        return self.transition(job_id, SUCCEEDED, finished_at=now_iso(), outputs=outputs)

    def mark_failed(self, job_id: str, error: str) -> dict[str, Any]:
        """FAILED with a message, from PENDING or RUNNING; a finished job is left alone."""
        return self.transition(job_id, FAILED, finished_at=now_iso(), error=error[:MAX_ERROR_CHARS])
