"""``GET /jobs?limit=&next=``: the caller's jobs, newest first, a page at a time.

Jobs carry their ``owner`` (the authorizer's principal) and the table has an index on
(owner, created_at), so the list is one Query, never a Scan. ``next`` is an opaque cursor
(the index key the page ended on, base64url JSON); a cursor that is not one this route issued
for this caller is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from lambda_shared import settings
from lambda_shared.aws import client
from lambda_shared.errors import BadRequest, Unauthorized
from lambda_shared.presign import result_links
from lambda_shared.validation import JobList, JobListRequest, parse
from ml_common.jobs import JobStore, public_view

_CURSOR_KEYS = {"job_id", "owner", "created_at"}


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, owner: str) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("next is not a cursor this API issued") from exc
    if (
        not isinstance(key, dict)
        or set(key) != _CURSOR_KEYS
        or not all(isinstance(v, str) for v in key.values())
        or key["owner"] != owner
    ):
        raise BadRequest("next is not a cursor this API issued")
    return key


def _query(params: dict[str, str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if name == "limit":
            if not value.isdigit() or len(value) > 4:
                raise BadRequest("limit must be a whole number from 1 to 100")
            out["limit"] = int(value)
        else:
            out[name] = value
    return out


def list_jobs(owner: str | None, params: dict[str, str] | None) -> dict[str, Any]:
    if not owner:
        raise Unauthorized("no caller: GET /jobs needs the authorizer's principal")
    request = parse(JobListRequest, _query(params))
    store = JobStore(settings.jobs_settings().jobs_table, client("dynamodb"))
    items, after = store.list_owned(owner, request.limit, decode_cursor(request.next, owner))
    jobs = []
    for item in items:
        view = public_view(item)
        if isinstance(view.get("outputs"), dict):
            view["outputs"] = result_links(view["outputs"])
        jobs.append(view)
    return JobList(jobs=jobs, next=encode_cursor(after)).model_dump()
