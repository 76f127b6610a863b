"""Short-lived presigned URLs: how the browser reads results and sends uploads without either
bucket being public. The policy of an upload form carries its own limits (size range, exact
content type, key), so S3 refuses a form that breaks them whatever the page does."""

from __future__ import annotations

from typing import Any

from lambda_shared import settings
from lambda_shared.aws import signing_s3


def result_links(outputs: dict[str, Any]) -> dict[str, Any]:
    """``outputs`` plus ``<name>_url``: a presigned GET for every ``s3://`` output that lives
    in the results bucket (other values are left alone)."""
    conf = settings.storage_settings()
    if not conf.results_bucket:
        return outputs
    prefix = f"s3://{conf.results_bucket}/"
    links: dict[str, Any] = dict(outputs)
    s3 = signing_s3()
    for name, value in outputs.items():
        if isinstance(value, str) and value.startswith(prefix) and len(value) > len(prefix):
            links[f"{name}_url"] = s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": conf.results_bucket, "Key": value[len(prefix) :]},
                ExpiresIn=conf.result_url_seconds,
            )
    return links


def upload_form(key: str, content_type: str) -> dict[str, Any]:
    """A presigned POST to the inputs bucket for exactly ``key`` and ``content_type``, at most
    ``UPLOAD_MAX_BYTES``, valid ``UPLOAD_URL_SECONDS``."""
    conf = settings.storage_settings()
    form: dict[str, Any] = signing_s3().generate_presigned_post(
        Bucket=conf.inputs_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, conf.upload_max_bytes],
        ],
        ExpiresIn=conf.upload_url_seconds,
    )
    return form
