"""Versioned models in S3 with an index and stage pointers.

Layout under the models bucket::

    models/<name>/<version>/model.<ext>     the artifact (bytes as given)
    models/<name>/<version>/metadata.json   version, created_at, code/data provenance, metrics
    models/<name>/index.json                every version's metadata and its stage
    models/<name>/stages/<stage>.json       {"version": ...}: the pointer services load

The pointer objects are authoritative; the index mirrors them for listing. The index is
updated with S3 conditional writes (If-Match / If-None-Match) and retried on a conflict, so two
writers do not lose each other's entries where the store honours the conditions.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ml_common.aws import client
from ml_common.errors import ModelNotFound

STAGES = ("candidate", "preprod", "prod")
_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    data: bytes
    metadata: dict[str, Any]


def _prefix(name: str) -> str:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"invalid model name {name!r}")
    return f"models/{name}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _get_json(s3: Any, bucket: str, key: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None, None
        raise
    return json.loads(obj["Body"].read()), obj.get("ETag")


def _put_json(s3: Any, bucket: str, key: str, doc: dict[str, Any], **cond: str) -> None:
    body = json.dumps(doc, indent=2, sort_keys=True).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **cond)


def _update_index(
    s3: Any, bucket: str, name: str, change: Any, attempts: int = 8
) -> dict[str, Any]:
    """Read-modify-write of the index with optimistic concurrency; ``change`` edits it in place."""
    key = f"{_prefix(name)}/index.json"
    for attempt in range(attempts):
        index, etag = _get_json(s3, bucket, key)
        doc = index or {"name": name, "versions": [], "stages": {}}
        change(doc)
        cond = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            _put_json(s3, bucket, key, doc, **cond)
            return doc
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _CONFLICT_CODES:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise RuntimeError(f"could not update the index of model {name!r}: too many concurrent writers")


def save_model(
    bucket: str,
    name: str,
    obj_bytes: bytes,
    metrics: dict[str, float],
    data_hash: str,
    code_version: str,
    params: dict[str, Any],
    *,
    ext: str = "bin",
    stage: str = "candidate",
) -> str:
    """Store a new version of model ``name``; return its version id. The new version is a
    ``candidate`` unless ``stage`` says otherwise (``prod`` also moves the prod pointer)."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    s3 = client("s3")
    digest = hashlib.sha256(obj_bytes).hexdigest()
    created_at = _now()
    version = f"{created_at.replace('-', '').replace(':', '')}-{digest[:10]}"
    prefix = f"{_prefix(name)}/{version}"
    metadata: dict[str, Any] = {
        "name": name,
        "version": version,
        "created_at": created_at,
        "code_version": code_version,
        "data_hash": data_hash,
        "params": params,
        "metrics": metrics,
        "sha256": digest,
        "artifact": f"{prefix}/model.{ext}",
        "stage": "candidate",
    }
    s3.put_object(Bucket=bucket, Key=metadata["artifact"], Body=obj_bytes)
    _put_json(s3, bucket, f"{prefix}/metadata.json", metadata)

    def add(doc: dict[str, Any]) -> None:
        doc["versions"] = [v for v in doc["versions"] if v["version"] != version] + [metadata]

    _update_index(s3, bucket, name, add)
    if stage != "candidate":
        set_stage(bucket, name, version, stage)
    return version


def import_version(bucket: str, metadata: dict[str, Any], data: bytes, *, s3: Any) -> None:
    """Store a version made elsewhere (another account's registry) under its own version id:
    the artifact, its metadata and its index entry. The caller has verified the checksum."""
    name, version = str(metadata["name"]), str(metadata["version"])
    if hashlib.sha256(data).hexdigest() != metadata["sha256"]:
        raise ValueError(f"model {name!r} version {version!r}: artifact checksum mismatch")
    s3.put_object(Bucket=bucket, Key=metadata["artifact"], Body=data)
    _put_json(s3, bucket, f"{_prefix(name)}/{version}/metadata.json", metadata)

    def add(doc: dict[str, Any]) -> None:
        doc["versions"] = [v for v in doc["versions"] if v["version"] != version] + [metadata]

    _update_index(s3, bucket, name, add)


def set_stage(
    bucket: str,
    name: str,
    version: str,
    stage: str,
    *,
    s3: Any = None,
    note: dict[str, Any] | None = None,
) -> None:
    """Point ``stage`` of model ``name`` at ``version`` (which must exist). ``s3`` is a client
    for another account (default: the environment's); ``note`` is kept in the stage history."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
    s3 = s3 or client("s3")
    meta, _ = _get_json(s3, bucket, f"{_prefix(name)}/{version}/metadata.json")
    if meta is None:
        raise ModelNotFound(f"model {name!r} has no version {version!r}")
    _put_json(
        s3, bucket, f"{_prefix(name)}/stages/{stage}.json", {"version": version, "at": _now()}
    )

    def move(doc: dict[str, Any]) -> None:
        doc.setdefault("stages", {})[stage] = version
        # Every move of a stage pointer is kept, so a rollback knows where the stage was before.
        doc.setdefault("history", {}).setdefault(stage, []).append(
            {"version": version, "at": _now(), **(note or {})}
        )
        for entry in doc["versions"]:
            if entry["version"] == version:
                entry["stage"] = stage

    _update_index(s3, bucket, name, move)


def resolve_version(bucket: str, name: str, stage: str = "prod", *, s3: Any = None) -> str:
    """The version a stage points at, or ModelNotFound."""
    pointer, _ = _get_json(s3 or client("s3"), bucket, f"{_prefix(name)}/stages/{stage}.json")
    if pointer is None:
        raise ModelNotFound(f"model {name!r} has no {stage!r} version in s3://{bucket}")
    return str(pointer["version"])


def load_model(
    bucket: str, name: str, stage: str = "prod", version: str | None = None, *, s3: Any = None
) -> LoadedModel:
    """Load a pinned ``version``, or the version ``stage`` points at (``prod`` by default).
    The artifact's checksum is verified against its metadata."""
    s3 = s3 or client("s3")
    chosen = version or resolve_version(bucket, name, stage, s3=s3)
    meta, _ = _get_json(s3, bucket, f"{_prefix(name)}/{chosen}/metadata.json")
    if meta is None:
        raise ModelNotFound(f"model {name!r} has no version {chosen!r} in s3://{bucket}")
    data = s3.get_object(Bucket=bucket, Key=meta["artifact"])["Body"].read()
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise ModelNotFound(f"model {name!r} version {chosen!r}: artifact checksum mismatch")
    return LoadedModel(name=name, version=chosen, data=data, metadata=meta)


def list_versions(bucket: str, name: str, *, s3: Any = None) -> list[dict[str, Any]]:
    index, _ = _get_json(s3 or client("s3"), bucket, f"{_prefix(name)}/index.json")
    return list(index["versions"]) if index else []
