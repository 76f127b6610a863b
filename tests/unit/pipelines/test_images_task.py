"""The image task end to end in moto: link -> checks -> CNN -> result JSON + overlay -> job."""

from __future__ import annotations

import io
import json
import os
import signal
from typing import Any

import pytest
from PIL import Image

from ml_common.jobs import EXIT_BAD_INPUT, EXIT_JOB_STATE, EXIT_STOPPED, JobStore
from ml_common.model_store import save_model
from ml_common.task import run_job
from non_structured_data_images import main as task
from non_structured_data_images.composite import compose
from non_structured_data_images.train import split_indices

pytestmark = pytest.mark.slow  # trains the digits CNN (session fixture)


@pytest.fixture
def deployed(
    aws: dict[str, Any], quick_digits_model: Any, pending_job: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    r = quick_digits_model
    save_model(
        aws["MODELS_BUCKET"],
        "digits_cnn",
        r.model_bytes,
        r.metrics,
        r.data_hash,
        "t",
        r.params,
        ext="pt",
        stage="prod",
    )
    job_id = pending_job("job-1", "non_structured_data_images")
    monkeypatch.setenv("JOB_ID", job_id)
    return {**aws, "job_id": job_id}


def _put(aws: dict[str, Any], key: str, body: bytes) -> str:
    aws["s3"].put_object(Bucket=aws["INPUTS_BUCKET"], Key=key, Body=body)
    return f"s3://{aws['INPUTS_BUCKET']}/{key}"


def _run(link: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("INPUT_LINK", link)
    return task.main()


def test_composite_image_digits_are_found(
    deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    comp = compose(seed=7, digit_indices=split_indices()[1])
    buf = io.BytesIO()
    comp.image.save(buf, format="PNG")
    assert _run(_put(deployed, "images/c.png", buf.getvalue()), monkeypatch) == 0

    job = JobStore().get(deployed["job_id"])
    assert job is not None and job["status"] == "SUCCEEDED", job
    s3 = deployed["s3"]
    key = job["outputs"]["result"].split("/", 3)[3]
    result = json.loads(s3.get_object(Bucket=deployed["RESULTS_BUCKET"], Key=key)["Body"].read())
    truth = {tuple(t["box"]): t["digit"] for t in comp.truth_boxes()}
    found = {tuple(d["box"]): d["digit"] for d in result["detections"]}
    correct = sum(truth.get(box) == digit for box, digit in found.items())
    assert result["tiles_scanned"] == 48
    assert correct >= 0.85 * len(truth), (correct, len(truth))
    assert len(set(found) - set(truth)) <= 2  # photo patches and paper are mostly rejected

    overlay_key = job["outputs"]["overlay"].split("/", 3)[3]
    overlay = Image.open(
        io.BytesIO(s3.get_object(Bucket=deployed["RESULTS_BUCKET"], Key=overlay_key)["Body"].read())
    )
    assert overlay.format == "PNG" and overlay.size == comp.image.size
    assert overlay.convert("RGB").tobytes() != comp.image.tobytes()  # boxes were drawn


@pytest.mark.parametrize(
    ("body", "link", "message"),
    [
        (None, "http://169.254.169.254/latest/meta-data/", "metadata"),
        (None, "http://127.0.0.1:9/x.png", "non-public"),
        (None, "http://10.0.0.1/x.png", "non-public"),
        (None, "file:///etc/passwd", "scheme"),
        (None, "", "empty link"),
        (b"just text, no image", "text.png", "not an image"),
        (b"BOMB", "bomb.png", "decompression bomb"),
    ],
)
def test_bad_links_fail_the_job_with_a_message(
    deployed: dict[str, Any],
    body: bytes | None,
    link: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    bomb_png: bytes,
) -> None:
    monkeypatch.setenv("LINK_ALLOWLIST", "")
    if body == b"BOMB":
        body = bomb_png
    if body is not None:
        link = _put(deployed, link, body)
    assert _run(link, monkeypatch) == EXIT_BAD_INPUT
    job = JobStore().get(deployed["job_id"])
    assert job is not None and job["status"] == "FAILED"
    assert message in job["error"]
    assert "outputs" not in job
    listed = deployed["s3"].list_objects_v2(Bucket=deployed["RESULTS_BUCKET"])
    assert listed.get("KeyCount", 0) == 0


def test_missing_prod_model_fails_clearly(
    aws: dict[str, Any], pending_job: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOB_ID", pending_job("job-2"))
    assert _run("s3://x/y.png", monkeypatch) == EXIT_BAD_INPUT
    job = JobStore().get("job-2")
    assert job is not None and "no 'prod' version" in job["error"]


def test_sigterm_marks_the_job_failed_stopped(aws: dict[str, Any], pending_job: Any) -> None:
    pending_job("job-3")

    def work(jobs: JobStore) -> dict[str, str]:
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM should have interrupted the work")

    assert run_job("job-3", work) == EXIT_STOPPED
    job = JobStore().get("job-3")
    assert job is not None and job["status"] == "FAILED" and job["error"] == "stopped"


def test_a_job_that_is_not_pending_is_left_alone(
    deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    JobStore().mark_failed(deployed["job_id"], "cancelled by the user")
    assert _run("s3://x/y.png", monkeypatch) == EXIT_JOB_STATE
    job = JobStore().get(deployed["job_id"])
    assert job is not None and job["error"] == "cancelled by the user"
