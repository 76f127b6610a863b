"""Job status updates in DynamoDB (``JOBS_TABLE``), each one a conditional write.

PENDING -> RUNNING -> SUCCEEDED | FAILED. A terminal job is never changed again, and a job
that does not exist is never created here (the lambda creates it), so a stray task cannot
invent or resurrect jobs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ml_common.aws import client, require_env
from ml_common.errors import JobStateError

MAX_ERROR_CHARS = 2000


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _to_attr(value: Any) -> dict[str, Any]:
    """A plain Python value as a DynamoDB attribute value (strings, numbers, maps, lists)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float):
        return {"N": repr(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_to_attr(v) for v in value]}
    if value is None:
        return {"NULL": True}
    raise TypeError(f"cannot store {type(value).__name__} in a job")


class Jobs:
    """Updates of one job table. ``table`` defaults to ``$JOBS_TABLE``."""

    def __init__(self, table: str | None = None) -> None:
        self.table = table or require_env("JOBS_TABLE")
        self._ddb = client("dynamodb")

    def _update(
        self, job_id: str, sets: dict[str, Any], condition: str, allowed: list[str]
    ) -> None:
        names = {"#s": "status"} | {f"#{k}": k for k in sets if k != "status"}
        values = {f":{k}": _to_attr(v) for k, v in sets.items()}
        values |= {f":allowed{i}": {"S": s} for i, s in enumerate(allowed)}
        assignments = ", ".join(("#s" if k == "status" else f"#{k}") + f" = :{k}" for k in sets)
        try:
            self._ddb.update_item(
                TableName=self.table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression=f"SET {assignments}",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                current = self.get(job_id)
                state = current.get("status") if current else "missing"
                raise JobStateError(
                    f"job {job_id}: cannot set {sets.get('status', 'progress')} (job is {state})"
                ) from exc
            raise

    @staticmethod
    def _in(allowed: list[str]) -> str:
        options = ", ".join(f":allowed{i}" for i in range(len(allowed)))
        return f"attribute_exists(job_id) AND #s IN ({options})"

    def get(self, job_id: str) -> dict[str, Any] | None:
        item = self._ddb.get_item(
            TableName=self.table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
        )
        raw = item.get("Item")
        return {k: _from_attr(v) for k, v in raw.items()} if raw else None

    def running(self, job_id: str, device: str | None = None) -> None:
        """PENDING -> RUNNING, recording ``started_at`` (and the compute ``device`` if given)."""
        sets: dict[str, Any] = {"status": "RUNNING", "started_at": now_iso()}
        if device:
            sets["device"] = device
        self._update(job_id, sets, self._in(["PENDING"]), ["PENDING"])

    def progress(self, job_id: str, done: int, of: int) -> None:
        """Record ``{"round": done, "of": of}`` on a RUNNING job."""
        self._update(
            job_id, {"progress": {"round": done, "of": of}}, self._in(["RUNNING"]), ["RUNNING"]
        )

    def succeeded(self, job_id: str, outputs: dict[str, str]) -> None:
        sets = {"status": "SUCCEEDED", "finished_at": now_iso(), "outputs": outputs}
        self._update(job_id, sets, self._in(["RUNNING"]), ["RUNNING"])

    def failed(self, job_id: str, error: str) -> None:
        """Mark FAILED with a message, from PENDING or RUNNING; a finished job is left alone."""
        sets = {"status": "FAILED", "finished_at": now_iso(), "error": error[:MAX_ERROR_CHARS]}
        self._update(job_id, sets, self._in(["PENDING", "RUNNING"]), ["PENDING", "RUNNING"])


def _from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: _from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [_from_attr(v) for v in value]
    return value
