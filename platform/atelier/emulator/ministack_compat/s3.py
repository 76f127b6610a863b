"""MiniStack's S3 internals: the stored PutBucketWebsite configuration."""

from __future__ import annotations

from ministack.core.responses import request_scope

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.responses": ("request_scope",),
    "ministack.services.s3": ("_bucket_websites.get",),
}


def bucket_website_config(bucket: str, account: str = "000000000000") -> str | None:
    """The PutBucketWebsite XML stored for ``bucket``, or None."""
    from ministack.services import s3

    with request_scope(account, "us-east-1"):
        value = s3._bucket_websites.get(bucket)
    return str(value) if value else None
