"""CI builds the Lambda bundles once, stores them, and Terraform deploys exactly those.

``python -m atelier.cicd.lambda_artifacts publish BUCKET DIR [--commit SHA]`` (CI's
``nox -s publish_lambdas``, after ``nox -s package_lambdas`` built DIR): every ``<name>.zip``
in DIR is stored content-addressed at ``lambdas/<name>/<sha256 hex>.zip`` (an existing key is
never overwritten: same key, same bytes), with its base64 SHA-256 in the object's metadata,
and the set is recorded as the manifest ``lambdas/manifest.json`` (and
``lambdas/manifests/<commit>.json``).

``python -m atelier.cicd.lambda_artifacts tfvars BUCKET --out FILE [--manifest KEY]`` (CI's
``nox -s terraform_plan``, instead of building bundles itself): reads the stored manifest,
checks every object it names is there with the recorded hash, and writes
``{"lambda_artifacts": {"bucket": ..., "objects": {name: {key, sha256}}}}`` for Terraform
(terraform/modules/lambda_code: ``s3_bucket``, ``s3_key``, ``source_code_hash``). A bundle
changed since the last apply then shows in the plan as a new key and hash; the same bundle as
no change.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PREFIX = "lambdas/"
MANIFEST = f"{PREFIX}manifest.json"


class ArtifactError(RuntimeError):
    """A stored bundle is missing or is not what the manifest recorded."""


def digest(data: bytes) -> tuple[str, str]:
    """``(hex, base64)`` SHA-256 of ``data`` (base64 is Terraform's filebase64sha256)."""
    raw = hashlib.sha256(data).digest()
    return raw.hex(), base64.b64encode(raw).decode()


def manifest_of(bundle_dir: Path) -> dict[str, dict[str, str]]:
    """Bundle name -> ``{key, sha256}`` for every zip in ``bundle_dir``."""
    zips = sorted(bundle_dir.glob("*.zip"))
    if not zips:
        raise ArtifactError(f"no bundle (*.zip) in {bundle_dir}: run nox -s package_lambdas first")
    out = {}
    for path in zips:
        hex_digest, b64 = digest(path.read_bytes())
        out[path.stem] = {"key": f"{PREFIX}{path.stem}/{hex_digest}.zip", "sha256": b64}
    return out


def _exists(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return dict(s3.head_object(Bucket=bucket, Key=key))
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def publish(
    s3: Any, bucket: str, bundle_dir: Path, commit: str | None = None
) -> dict[str, dict[str, str]]:
    """Store each bundle once under its content key, then the manifest; returns the manifest."""
    manifest = manifest_of(bundle_dir)
    for name, entry in manifest.items():
        if _exists(s3, bucket, entry["key"]) is None:
            s3.put_object(Bucket=bucket, Key=entry["key"],
                          Body=(bundle_dir / f"{name}.zip").read_bytes(),
                          Metadata={"sha256": entry["sha256"]})  # fmt: skip
    body = json.dumps({"bucket": bucket, "objects": manifest}, indent=2, sort_keys=True)
    if commit:
        s3.put_object(Bucket=bucket, Key=f"{PREFIX}manifests/{commit}.json", Body=body.encode())
    s3.put_object(Bucket=bucket, Key=MANIFEST, Body=body.encode())
    return manifest


def stored(s3: Any, bucket: str, manifest_key: str = MANIFEST) -> dict[str, Any]:
    """The stored manifest, each object checked present with its recorded hash."""
    try:
        raw = s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read()
    except s3.exceptions.NoSuchKey as exc:
        raise ArtifactError(f"no manifest s3://{bucket}/{manifest_key}: the lambdas workflow "
                            "(nox -s publish_lambdas) has not stored any bundle yet") from exc  # fmt: skip
    document = json.loads(raw)
    objects: dict[str, dict[str, str]] = document["objects"]
    for name, entry in sorted(objects.items()):
        head = _exists(s3, bucket, entry["key"])
        if head is None:
            raise ArtifactError(f"bundle {name}: s3://{bucket}/{entry['key']} is missing")
        recorded = (head.get("Metadata") or {}).get("sha256")
        if recorded != entry["sha256"]:
            raise ArtifactError(f"bundle {name}: s3://{bucket}/{entry['key']} has hash "
                                f"{recorded}, the manifest says {entry['sha256']}")  # fmt: skip
    return {"bucket": bucket, "objects": objects}


def main(argv: Sequence[str] | None = None) -> int:
    import boto3  # the CI steps' only AWS dependency, imported when they run

    parser = argparse.ArgumentParser(prog="python -m atelier.cicd.lambda_artifacts")
    sub = parser.add_subparsers(dest="step", required=True)
    pub = sub.add_parser("publish", help="store the bundles of DIR and their manifest")
    pub.add_argument("bucket")
    pub.add_argument("directory", type=Path)
    pub.add_argument("--commit", default=None)
    tf = sub.add_parser("tfvars", help="the stored manifest as Terraform's lambda_artifacts")
    tf.add_argument("bucket")
    tf.add_argument("--out", type=Path, required=True)
    tf.add_argument("--manifest", default=MANIFEST)
    args = parser.parse_args(argv)
    s3 = boto3.client("s3")
    try:
        if args.step == "publish":
            for name, entry in sorted(
                publish(s3, args.bucket, args.directory, args.commit).items()
            ):
                print(f"{name}: s3://{args.bucket}/{entry['key']}")
            return 0
        found = stored(s3, args.bucket, args.manifest)
    except ArtifactError as exc:
        print(f"::error::{exc}")
        return 1
    args.out.write_text(json.dumps({"lambda_artifacts": found}, indent=2, sort_keys=True) + "\n")
    for name, entry in sorted(found["objects"].items()):
        print(f"{name}: {entry['key']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
