"""``POST /uploads {"filename", "content_type"}``: a presigned POST form to the inputs bucket.

The form's policy pins the key, the content type and the size range, so S3 itself refuses an
upload that is too large or of another type; the answer's ``link`` is what the browser then
submits to ``POST /non_structured_data_images``.
"""

from __future__ import annotations

import re
import uuid
from pathlib import PurePosixPath

from aws_lambda_powertools.event_handler import Response

from lambda_shared import settings
from lambda_shared.api import entry, json_response, logger, make_app
from lambda_shared.errors import ConfigurationError
from lambda_shared.presign import upload_form
from lambda_shared.request_body import json_object
from lambda_shared.submit import caller
from lambda_shared.validation import UploadRequest, UploadTarget, parse

app = make_app()
_SAFE = re.compile(r"[^A-Za-z0-9_-]")
_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
}


@app.post("/uploads")
def post_upload() -> Response[str]:
    event = app.current_event.raw_event
    request = parse(UploadRequest, json_object(event))
    conf = settings.storage_settings()
    if not conf.inputs_bucket:
        raise ConfigurationError(
            "the API is misconfigured; see the function's logs", internal="INPUTS_BUCKET unset"
        )
    owner = _SAFE.sub("_", caller(event) or "anonymous")[:64]
    stem = _SAFE.sub("_", PurePosixPath(request.filename).stem)[:64] or "upload"
    key = f"uploads/{owner}/{uuid.uuid4()}/{stem}{_EXT[request.content_type]}"
    form = upload_form(key, request.content_type)
    logger.info("upload form issued", key=key, content_type=request.content_type)
    target = UploadTarget(
        url=form["url"],
        fields=form["fields"],
        link=f"s3://{conf.inputs_bucket}/{key}",
        key=key,
        max_bytes=conf.upload_max_bytes,
        expires_in=conf.upload_url_seconds,
    )
    return json_response(200, target.model_dump())


handler = entry(app)
