"""A model version crosses accounts: preprod's registry → prod's registry, and back on rollback.

``promote_across`` reads the version from the source account (its own credentials), checks the
verdict and the artifact's checksum *before* writing anything, then copies artifact and
metadata into the target account's registry, reads the copy back and verifies it again, and
only then moves the target's stage pointer. Any failure after the first write deletes what it
wrote, so a refused or broken promotion leaves no pointer moved and no object behind.

The copied metadata keeps the lineage (data hash, code version, params, metrics, checksum) and
adds a ``promotion`` record: source env/account/bucket, verdict decision and reasons, who approved
a manual_review, and when.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from atelier.registry.accounts import Account
from atelier.registry.registry import PromotionRefused
from ml_common import model_store
from ml_common.errors import ModelNotFound


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def approver(explicit: str | None) -> str:
    """Who approved: an explicit name, the CI actor, or the local user."""
    return explicit or os.environ.get("GITHUB_ACTOR") or getpass.getuser()


def _check_verdict(
    version: str, verdict: dict[str, Any] | None, approved: bool, approved_by: str | None
) -> dict[str, Any]:
    if verdict is None:
        raise PromotionRefused(
            f"promoting {version} to another account needs its verdict (atelier evaluate)"
        )
    if verdict.get("candidate") not in (None, version):
        raise PromotionRefused(f"the verdict is about {verdict.get('candidate')}, not {version}")
    decision = verdict.get("decision")
    if decision == "block":
        raise PromotionRefused(f"the evaluation blocked {version}: {verdict.get('reasons')}")
    if decision == "manual_review" and not approved:
        raise PromotionRefused(
            f"{version} has a breaking change and needs a manual approval: {verdict.get('reasons')}"
        )
    if decision not in ("promote", "manual_review"):
        raise PromotionRefused(f"unknown verdict decision {decision!r} for {version}")
    return {
        "decision": decision,
        "reasons": list(verdict.get("reasons") or []),
        "approved_by": approver(approved_by) if decision == "manual_review" else None,
    }


def _read_source(source: Account, name: str, version: str) -> tuple[dict[str, Any], bytes]:
    meta, _ = model_store._get_json(
        source.s3, source.bucket, f"models/{name}/{version}/metadata.json"
    )
    if meta is None:
        raise ModelNotFound(
            f"model {name!r} has no version {version!r} in the {source.env} registry "
            f"(s3://{source.bucket})"
        )
    data = source.s3.get_object(Bucket=source.bucket, Key=meta["artifact"])["Body"].read()
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise PromotionRefused(
            f"{name} {version}: the artifact in {source.env} does not match its checksum "
            f"{str(meta.get('sha256'))[:12]}…; nothing was copied"
        )
    return meta, data


def _existing(target: Account, name: str, version: str) -> dict[str, Any] | None:
    meta: dict[str, Any] | None
    meta, _ = model_store._get_json(
        target.s3, target.bucket, f"models/{name}/{version}/metadata.json"
    )
    return meta


def _delete(target: Account, keys: list[str]) -> None:
    for key in keys:  # best effort: the original error is the one to report
        with contextlib.suppress(ClientError):
            target.s3.delete_object(Bucket=target.bucket, Key=key)


def promote_across(
    source: Account,
    target: Account,
    name: str,
    version: str,
    *,
    stage: str = "prod",
    verdict: dict[str, Any] | None = None,
    approved: bool = False,
    approved_by: str | None = None,
) -> dict[str, Any]:
    """Copy ``version`` of ``name`` from ``source``'s registry to ``target``'s and point
    ``stage`` there at it; return the metadata stored in the target."""
    decision = _check_verdict(version, verdict, approved, approved_by)
    meta, data = _read_source(source, name, version)
    promotion = {
        "from_env": source.env,
        "from_bucket": source.bucket,
        "to_env": target.env,
        "at": _now(),
        **decision,
    }
    copied = {**meta, "stage": "candidate", "promotion": promotion}
    already = _existing(target, name, version)
    written: list[str] = []
    try:
        if already is None:
            written = [meta["artifact"], f"models/{name}/{version}/metadata.json"]
            model_store.import_version(target.bucket, copied, data, s3=target.s3)
        elif already.get("sha256") != meta["sha256"]:
            raise PromotionRefused(
                f"{name} {version} already exists in {target.env} with another checksum"
            )
        back = target.s3.get_object(Bucket=target.bucket, Key=meta["artifact"])["Body"].read()
        if hashlib.sha256(back).hexdigest() != meta["sha256"]:
            raise PromotionRefused(f"{name} {version}: the copy in {target.env} is corrupt")
        model_store.set_stage(
            target.bucket,
            name,
            version,
            stage,
            s3=target.s3,
            note={"by": "promote", "from_env": source.env, **decision},
        )
    except BaseException:
        _delete(target, written)
        if written:
            _forget(target, name, version)
        raise
    return copied if already is None else already


def _forget(target: Account, name: str, version: str) -> None:
    """Drop an index entry written by a promotion that then failed."""

    def drop(doc: dict[str, Any]) -> None:
        doc["versions"] = [v for v in doc["versions"] if v["version"] != version]

    with contextlib.suppress(ClientError):
        model_store._update_index(target.s3, target.bucket, name, drop)


def rollback_across(target: Account, name: str, stage: str = "prod") -> str:
    """Point ``stage`` in ``target``'s registry back at its previous version, after checking
    that version's artifact against its checksum; return that version."""
    index, _ = model_store._get_json(target.s3, target.bucket, f"models/{name}/index.json")
    if index is None:
        raise ModelNotFound(f"model {name!r} has no index in the {target.env} registry")
    history = [h["version"] for h in index.get("history", {}).get(stage, [])]
    current = model_store.resolve_version(target.bucket, name, stage, s3=target.s3)
    previous = [v for v in history if v != current]
    if not previous:
        raise PromotionRefused(f"{name} {stage} in {target.env} has no earlier version")
    back = str(previous[-1])
    # load_model verifies the checksum: a damaged artifact is refused before the pointer moves.
    try:
        model_store.load_model(target.bucket, name, version=back, s3=target.s3)
    except ModelNotFound as exc:
        raise PromotionRefused(f"cannot roll back to {back}: {exc}") from exc
    model_store.set_stage(
        target.bucket,
        name,
        back,
        stage,
        s3=target.s3,
        note={"by": "rollback", "from_version": current},
    )
    return back
