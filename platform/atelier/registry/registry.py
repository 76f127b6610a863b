"""Promotion and rollback rules over the pipelines' S3 model store (ml_common.model_store).

The store owns the layout and the optimistic-concurrency index; this module owns the rules:
stages only move forward one step at a time, prod takes only a version that was in preprod,
a ``block`` verdict stops a promotion and ``manual_review`` needs an explicit approval.
"""

from __future__ import annotations

from typing import Any

from ml_common import model_store
from ml_common.aws import client
from ml_common.errors import ModelNotFound

ORDER = {stage: rank for rank, stage in enumerate(model_store.STAGES)}


class PromotionRefused(Exception):
    """A promotion or rollback that the registry's rules do not allow; the message says why."""


def versions(bucket: str, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = model_store.list_versions(bucket, name)
    return found


def _entry(bucket: str, name: str, version: str) -> dict[str, Any]:
    for entry in versions(bucket, name):
        if entry["version"] == version:
            return entry
    raise ModelNotFound(f"model {name!r} has no version {version!r}")


def _index(bucket: str, name: str) -> dict[str, Any]:
    index: dict[str, Any] | None
    index, _ = model_store._get_json(client("s3"), bucket, f"models/{name}/index.json")
    if index is None:
        raise ModelNotFound(f"model {name!r} has no index in s3://{bucket}")
    return index


def promote(
    bucket: str,
    name: str,
    version: str,
    to: str,
    *,
    verdict: dict[str, Any] | None = None,
    approved: bool = False,
) -> None:
    """Move ``version`` of ``name`` to stage ``to`` if the rules allow it."""
    if to not in ORDER or to == "candidate":
        raise PromotionRefused(f"cannot promote to {to!r}: choose preprod or prod")
    current = _entry(bucket, name, version).get("stage", "candidate")
    if ORDER[to] - ORDER.get(current, 0) > 1:
        raise PromotionRefused(
            f"{name} {version} is {current}: it must pass through {model_store.STAGES[ORDER[to] - 1]} first"
        )
    if to == "prod" and verdict is not None:
        decision = verdict.get("decision")
        if verdict.get("candidate") not in (None, version):
            raise PromotionRefused(
                f"the verdict is about {verdict.get('candidate')}, not {version}"
            )
        if decision == "block":
            raise PromotionRefused(f"the evaluation blocked {version}: {verdict.get('reasons')}")
        if decision == "manual_review" and not approved:
            raise PromotionRefused(
                f"{version} has a breaking change and needs a manual approval: {verdict.get('reasons')}"
            )
    model_store.set_stage(bucket, name, version, to)


def rollback(bucket: str, name: str, stage: str = "prod") -> str:
    """Point ``stage`` back at the version it held before its current one; return that version."""
    history: list[str] = [
        h["version"] for h in _index(bucket, name).get("history", {}).get(stage, [])
    ]
    current = str(model_store.resolve_version(bucket, name, stage))
    previous = [v for v in history if v != current]
    if not previous:
        raise PromotionRefused(f"{name} {stage} has no earlier version to roll back to")
    target = previous[-1]
    model_store.set_stage(bucket, name, target, stage)
    return target


def record_lineage(bucket: str, name: str, version: str, lineage: dict[str, Any]) -> None:
    """Store, next to the version, the validation data and suites it was judged on."""
    _entry(bucket, name, version)  # the version must exist
    model_store._put_json(client("s3"), bucket, f"models/{name}/{version}/lineage.json", lineage)


def lineage(bucket: str, name: str, version: str) -> dict[str, Any]:
    """The lineage recorded for ``version`` (empty if it was never evaluated)."""
    doc, _ = model_store._get_json(client("s3"), bucket, f"models/{name}/{version}/lineage.json")
    return doc or {}
