"""S3 buckets: encryption, public-access block, versioning, the frontend website and its files.

Encryption as terraform/modules applies it: the data buckets with the environment's customer key
(SSE-KMS, bucket key on: terraform/modules/data), the website bucket with SSE-S3 (AES256:
terraform/modules/frontend).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged, updated
from atelier.deploy.clients import Clients, is_not_found

KIND = "s3.bucket"
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
WEBSITE = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "index.html"}}


def _exists(s3: Any, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
        return True
    except ClientError as exc:
        if is_not_found(exc):
            return False
        if exc.response["Error"]["Code"] == "403":
            raise RuntimeError(f"bucket {name} exists but is not ours (403)") from exc
        raise


def _public_read_policy(name: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadForLocalWebsite",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        }
    )


def encryption(kms_key_arn: str | None) -> dict[str, Any]:
    """The default encryption: SSE-KMS with ``kms_key_arn`` (bucket key on), else SSE-S3."""
    if kms_key_arn is None:
        return ENCRYPTION
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]}


def _encryption_of(config: dict[str, Any] | None) -> tuple[str | None, str | None, bool]:
    """(algorithm, KMS key, bucket key) of a default encryption (APIs add and omit fields)."""
    rule = ((config or {}).get("Rules") or [{}])[0]
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
    bucket_key = bool(rule.get("BucketKeyEnabled")) and algorithm == "aws:kms"
    return (str(algorithm) if algorithm else None, str(key) if key else None, bucket_key)


def _current(s3: Any, name: str, call: str, key: str) -> Any:
    try:
        return getattr(s3, call)(Bucket=name).get(key)
    except ClientError as exc:
        if is_not_found(exc) or "NotFound" in str(exc) or "NoSuch" in str(exc):
            return None
        raise


def ensure_bucket(
    clients: Clients,
    name: str,
    *,
    versioned: bool = False,
    website: bool = False,
    public_website: bool = False,
    tags: dict[str, str] | None = None,
    kms_key_arn: str | None = None,
) -> Change:
    """A bucket encrypted at rest (with ``kms_key_arn`` if given, else SSE-S3) with public
    access blocked (unless it is a public website)."""
    s3 = clients("s3")
    fresh = not _exists(s3, name)
    if fresh:
        if clients.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": clients.region}
            )
        if tags:
            s3.put_bucket_tagging(
                Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
            )
    fixed: list[str] = []
    wanted = encryption(kms_key_arn)
    current = _current(s3, name, "get_bucket_encryption", "ServerSideEncryptionConfiguration")
    if fresh or _encryption_of(current) != _encryption_of(wanted):
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=wanted)
        fixed.append("encryption")
    wants_block = not (website and public_website)
    block = _current(s3, name, "get_public_access_block", "PublicAccessBlockConfiguration")
    if wants_block and (fresh or block != BLOCK_ALL):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
        fixed.append("public access block")
    open_all = {key: False for key in BLOCK_ALL}
    if not wants_block and (fresh or (block is not None and block != open_all)):
        # new buckets block public policies (as on AWS): the public website opens its own
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=open_all)
        fixed.append("public access opened")
    if versioned and (fresh or _current(s3, name, "get_bucket_versioning", "Status") != "Enabled"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        fixed.append("versioning")
    if website:
        fixed += _ensure_website(s3, name, fresh, public_website)
    if fresh:
        return created(KIND, name)
    return updated(KIND, name, ", ".join(fixed)) if fixed else unchanged(KIND, name)


def _ensure_website(s3: Any, name: str, fresh: bool, public: bool) -> list[str]:
    fixed = []
    if (
        fresh
        or _current(s3, name, "get_bucket_website", "IndexDocument") != WEBSITE["IndexDocument"]
    ):
        s3.put_bucket_website(Bucket=name, WebsiteConfiguration=WEBSITE)
        fixed.append("website")
    if public:
        policy = _public_read_policy(name)
        current = _current(s3, name, "get_bucket_policy", "Policy")
        if fresh or current is None or json.loads(current) != json.loads(policy):
            s3.put_bucket_policy(Bucket=name, Policy=policy)
            fixed.append("public read policy")
    return fixed


def site_files(dist: Path | None, placeholder: str, extra: dict[str, bytes]) -> dict[str, bytes]:
    """The website's files: ``dist`` if built, else a placeholder page; plus generated files."""
    files: dict[str, bytes] = {}
    if dist is not None and (dist / "index.html").is_file():
        for path in sorted(p for p in dist.rglob("*") if p.is_file()):
            files[path.relative_to(dist).as_posix()] = path.read_bytes()
    else:
        files["index.html"] = placeholder.encode()
    files.update(extra)
    return files


def sync_files(clients: Clients, bucket: str, files: dict[str, bytes]) -> Change:
    """Make the bucket hold exactly ``files``: upload what differs (by MD5), delete the rest."""
    s3 = clients("s3")
    current: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            current[obj["Key"]] = obj["ETag"].strip('"')
    uploads = [k for k, body in files.items() if current.get(k) != hashlib.md5(body).hexdigest()]  # noqa: S324 - S3 ETag
    stale = sorted(set(current) - set(files))
    for key in uploads:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        s3.put_object(Bucket=bucket, Key=key, Body=files[key], ContentType=content_type)
    if stale:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale]})
    kind = "s3.files"
    if not uploads and not stale:
        return unchanged(kind, bucket, f"{len(files)} files")
    if not current:
        return created(kind, bucket, f"{len(uploads)} files")
    return updated(kind, bucket, f"{len(uploads)} uploaded, {len(stale)} removed")


def remove_bucket(clients: Clients, name: str) -> Change:
    """Empty the bucket (every version and delete marker) and delete it."""
    s3 = clients("s3")
    if not _exists(s3, name):
        return absent(KIND, name)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
    s3.delete_bucket(Bucket=name)
    return deleted(KIND, name)
