"""S3 static website endpoints: ``http://<bucket>.s3-website.localhost:<port>/`` serves
``index.html``. MiniStack stores PutBucketWebsite but answers ``GET /`` with a listing, so the
runtime rewrites website requests to the configured index document before MiniStack sees them.
"""

from __future__ import annotations

import re
from typing import Any

from atelier.emulator.ministack_compat import s3 as bridge

_WEBSITE_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-]*?)\.s3-website[.-]", re.IGNORECASE)
_SUFFIX = re.compile(r"<IndexDocument>\s*<Suffix>([^<]+)</Suffix>", re.IGNORECASE)


def website_bucket(host: str) -> str | None:
    match = _WEBSITE_HOST.match(host)
    return match.group("bucket").lower() if match else None


def index_suffix(bucket: str) -> str | None:
    config = bridge.bucket_website_config(bucket)
    if not config:
        return None
    match = _SUFFIX.search(config)
    return match.group(1).strip() if match else None


def rewrite(scope: dict[str, Any], host: str) -> dict[str, Any]:
    """A copy of ``scope`` whose directory paths point at the index document."""
    if scope.get("method") not in ("GET", "HEAD"):
        return scope
    bucket = website_bucket(host)
    path = str(scope.get("path", "/"))
    if bucket is None or not path.endswith("/"):
        return scope
    suffix = index_suffix(bucket)
    if not suffix:
        return scope
    new_path = path + suffix
    return {**scope, "path": new_path, "raw_path": new_path.encode(), "query_string": b""}
