"""The job table (``JOBS_TABLE``, pk ``job_id``): PENDING -> RUNNING -> SUCCEEDED | FAILED.

Every state change is a conditional write on the current status, so two writers (the lambda,
the task, a reconciling read) can race without moving a job backwards or out of a final
state; the loser gets ``JobStateError`` with the state it lost to. The item layout is the one
of docs/contracts.md and of ``ml_common.jobs`` (the tasks' side).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from lambda_shared.aws import client, error_code

PENDING, RUNNING, SUCCEEDED, FAILED = "PENDING", "RUNNING", "SUCCEEDED", "FAILED"
STATUSES = (PENDING, RUNNING, SUCCEEDED, FAILED)
# the states each state may be reached from
PREDECESSORS: dict[str, tuple[str, ...]] = {
    RUNNING: (PENDING,),
    SUCCEEDED: (RUNNING,),
    FAILED: (PENDING, RUNNING),
}
MAX_ERROR_CHARS = 2000
OWNER_INDEX = "owner-created"  # topology.yaml tables.jobs.indexes: owner + created_at
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
    """A transition the job's current state does not allow (or the job does not exist)."""

    def __init__(self, job_id: str, wanted: str, current: str | None) -> None:
        super().__init__(f"job {job_id}: cannot become {wanted} (it is {current or 'missing'})")
        self.current = current


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    return str(uuid.uuid4())


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals as ints/floats, recursively, so a job is JSON-serialisable."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def public_view(job: dict[str, Any]) -> dict[str, Any]:
    """What ``GET /jobs/{id}`` shows: status, timings, request, outputs, error, progress."""
    return {k: job[k] for k in PUBLIC_FIELDS if k in job}


class JobStore:
    def __init__(self, table: str, dynamodb: Any = None) -> None:
        self.table = table
        self._ddb = dynamodb or client("dynamodb")

    def _key(self, job_id: str) -> dict[str, Any]:
        return {"job_id": {"S": job_id}}

    def get(self, job_id: str) -> dict[str, Any] | None:
        item = self._ddb.get_item(
            TableName=self.table, Key=self._key(job_id), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}

    def create(
        self, job_id: str, pipeline: str, request: dict[str, Any], owner: str | None = None
    ) -> dict[str, Any]:
        """A new PENDING job; never overwrites an existing one. ``owner`` (the caller) puts it
        in the owner index that ``GET /jobs`` reads."""
        job = {
            "job_id": job_id,
            "pipeline": pipeline,
            "status": PENDING,
            "created_at": now_iso(),
            "request": request,
        }
        if owner:
            job["owner"] = owner
        self._ddb.put_item(
            TableName=self.table,
            Item={k: _serializer.serialize(v) for k, v in job.items()},
            ConditionExpression="attribute_not_exists(job_id)",
        )
        return job

    def list_owned(
        self, owner: str, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of ``owner``'s jobs, newest first, and the key to continue from."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": "#o = :o",
            "ExpressionAttributeNames": {"#o": "owner"},
            "ExpressionAttributeValues": {":o": {"S": owner}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = {k: {"S": str(v)} for k, v in start.items()}
        page = self._ddb.query(**request)
        items = [
            {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}
            for item in page.get("Items", [])
        ]
        last = page.get("LastEvaluatedKey")
        after = {k: _deserializer.deserialize(v) for k, v in last.items()} if last else None
        return items, after

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
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            current = self.get(job_id)
            raise JobStateError(
                job_id, "task-bound", current["status"] if current else None
            ) from exc

    def transition(self, job_id: str, status: str, **fields: Any) -> dict[str, Any]:
        """Move the job to ``status`` (setting ``fields`` too) if its current state allows;
        returns the updated job."""
        allowed = PREDECESSORS.get(status)
        if allowed is None:
            raise ValueError(f"no transition into {status!r}")
        sets = {"status": status, **fields}
        names = {f"#f{i}": name for i, name in enumerate(sets)}
        values = {f":v{i}": _serializer.serialize(value) for i, value in enumerate(sets.values())}
        values |= {f":from{i}": {"S": s} for i, s in enumerate(allowed)}
        names["#status"] = "status"
        condition = "attribute_exists(job_id) AND #status IN ({})".format(
            ", ".join(f":from{i}" for i in range(len(allowed)))
        )
        try:
            item = self._ddb.update_item(
                TableName=self.table,
                Key=self._key(job_id),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(sets))),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            current = self.get(job_id)
            raise JobStateError(job_id, status, current["status"] if current else None) from exc
        return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}

    def mark_running(self, job_id: str, device: str | None = None) -> dict[str, Any]:
        extra = {"device": device} if device else {}
        return self.transition(job_id, RUNNING, started_at=now_iso(), **extra)

    def mark_succeeded(self, job_id: str, outputs: dict[str, str]) -> dict[str, Any]:
        return self.transition(job_id, SUCCEEDED, finished_at=now_iso(), outputs=outputs)

    def mark_failed(self, job_id: str, error: str) -> dict[str, Any]:
        return self.transition(job_id, FAILED, finished_at=now_iso(), error=error[:MAX_ERROR_CHARS])
