"""The browser's way to storage, on the real runtime: the upload form ``POST /uploads`` signs
(its policy limits size and type, S3 refuses what breaks it) and the presigned result links of
a job's answer (refused once expired)."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lambdas" / "shared"))

from lambda_shared import aws, settings  # noqa: E402
from lambda_shared.presign import result_links, upload_form  # noqa: E402

pytestmark = pytest.mark.integration
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def storage(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    names = {"INPUTS_BUCKET": f"inputs-{suffix}", "RESULTS_BUCKET": f"results-{suffix}"}
    s3 = runtime.client("s3")
    for name in names.values():
        s3.create_bucket(Bucket=name)
    for key, value in {
        **names,
        "AWS_ENDPOINT_URL": runtime.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "UPLOAD_MAX_BYTES": "1024",
    }.items():
        monkeypatch.setenv(key, value)
    settings.reset()
    aws.reset()
    yield names
    settings.reset()
    aws.reset()


def _post(form: dict[str, Any], body: bytes, content_type: str) -> requests.Response:
    fields = {**form["fields"], "Content-Type": content_type}
    return requests.post(
        form["url"], data=fields, files={"file": ("x", body, content_type)}, timeout=10
    )


def test_s3_enforces_the_upload_policy(runtime: Any, storage: dict[str, str]) -> None:
    key = f"uploads/alice/{uuid.uuid4()}/cat.png"
    form = upload_form(key, "image/png")
    s3 = runtime.client("s3")

    too_big = _post(form, b"x" * 2048, "image/png")
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text, too_big.text
    wrong_type = _post(form, PNG, "text/html")
    assert wrong_type.status_code == 403 and "Policy" in wrong_type.text, wrong_type.text
    assert s3.list_objects_v2(Bucket=storage["INPUTS_BUCKET"]).get("KeyCount", 0) == 0

    ok = _post(form, PNG, "image/png")
    assert ok.status_code in (200, 201, 204), ok.text
    assert s3.get_object(Bucket=storage["INPUTS_BUCKET"], Key=key)["Body"].read() == PNG


def test_a_presigned_result_link_works_then_expires(
    runtime: Any, storage: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = storage["RESULTS_BUCKET"]
    runtime.client("s3").put_object(Bucket=bucket, Key="jobs/j/overlay.png", Body=PNG)
    monkeypatch.setenv("RESULT_URL_SECONDS", "1")
    settings.reset()
    links = result_links({"overlay": f"s3://{bucket}/jobs/j/overlay.png"})
    fresh = requests.get(links["overlay_url"], timeout=10)
    assert fresh.status_code == 200 and fresh.content == PNG
    time.sleep(2.2)
    expired = requests.get(links["overlay_url"], timeout=10)
    assert expired.status_code == 403 and "expired" in expired.text.lower(), expired.text
