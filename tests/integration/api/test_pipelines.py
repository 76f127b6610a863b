"""The three pipelines through API Gateway with a token: a prediction, an image job and an
active-learning job each with its outputs, the served model following a promotion, uploads through
the presigned form, idempotent job starts."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from atelier_devtools.deployed_api import jobs, raw_post
from atelier_devtools.e2e.api import Api
from atelier_devtools.paths import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# -- the three pipelines through the API --------------------------------------------------------


def test_structured_data_predicts_a_seeded_record(api: Api) -> None:
    answer = api.expect(200, "POST", "/structured_data", {"id": "1789"})
    assert answer["prediction"] in (0, 1)
    assert answer["model_version"]


def test_image_job_succeeds_with_its_outputs(api: Api, stack: dict[str, Any]) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_data_images", {"link": stack["seed"]["image_link"]}
    )
    job = api.wait_job(accepted["job_id"], timeout=300)
    assert job["status"] == "SUCCEEDED", job
    s3 = stack["client"]("s3")
    for name in ("result", "overlay"):
        bucket, _, key = job["outputs"][name].removeprefix("s3://").partition("/")
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_the_deployed_digits_model_answers_the_golden_cases(stack: dict[str, Any]) -> None:
    """The digits CNN the runtime serves (prod in its model registry) against the golden cases,
    borderline and hard ones included, each with its seed-variance tolerance."""
    from atelier.evaluation.adapters import KINDS
    from atelier.validation.golden_checks import digits_problems
    from ml_common import model_store

    bucket = stack["outputs"]["buckets"]["models"]
    loaded = model_store.load_model(bucket, "digits_cnn", s3=stack["client"]("s3"))
    model = KINDS["digits_cnn"].load(loaded)
    golden = json.loads((REPO_ROOT / "validation_data/golden/digits_cnn.json").read_text())
    assert {"borderline", "hard"} <= {case["kind"] for case in golden["cases"]}
    x, y = KINDS["digits_cnn"].validation_set()
    assert digits_problems(model.predict_proba, golden, x, y) == []


def test_the_service_serves_a_promoted_model_without_a_restart(
    api: Api, stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new prod version reaches the running service within its poll (MODEL_POLL_SECONDS)."""
    from ml_common import model_store
    from structured_data.train import train

    before = api.expect(200, "POST", "/structured_data", {"id": "1789"})["model_version"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack["outputs"]["endpoint_url"])
    result = train(params={"C": 0.5})
    promoted = model_store.save_model(
        stack["outputs"]["buckets"]["models"],
        "structured_data",
        result.model_bytes,
        result.metrics,
        result.data_hash,
        "test",
        result.params,
        ext="json",
        stage="prod",
    )
    try:
        assert promoted != before
        deadline = time.monotonic() + 40
        served = before
        while served != promoted and time.monotonic() < deadline:
            time.sleep(1)
            served = api.expect(200, "POST", "/structured_data", {"id": "1789"})["model_version"]
        assert served == promoted, "the running service did not pick up the new prod version"
    finally:  # the other tests (the canary's golden answers) expect the seeded model in prod
        model_store.set_stage(stack["outputs"]["buckets"]["models"], "structured_data", before,
                              "prod")  # fmt: skip
        deadline = time.monotonic() + 40
        while (
            time.monotonic() < deadline
            and before
            != api.expect(200, "POST", "/structured_data", {"id": "1789"})["model_version"]
        ):
            time.sleep(1)


def test_results_come_as_presigned_links_and_the_list_has_the_job(
    api: Api, stack: dict[str, Any]
) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_data_images", {"link": stack["seed"]["image_link"]}
    )
    job = api.wait_job(accepted["job_id"], timeout=300)
    assert job["status"] == "SUCCEEDED", job
    with urllib.request.urlopen(job["outputs"]["overlay_url"], timeout=30) as resp:
        assert resp.status == 200 and resp.read(8) == b"\x89PNG\r\n\x1a\n"
    listed = api.expect(200, "GET", "/jobs?limit=5")
    assert listed["jobs"][0]["job_id"] == accepted["job_id"], "newest first"
    assert listed["jobs"][0]["outputs"]["overlay_url"].startswith("http")


def test_an_upload_through_the_presigned_form_starts_an_image_job(
    api: Api, stack: dict[str, Any]
) -> None:
    import requests

    target = api.expect(200, "POST", "/uploads", {"filename": "d.png", "content_type": "image/png"})
    s3 = stack["client"]("s3")
    bucket, _, key = stack["seed"]["image_link"].removeprefix("s3://").partition("/")
    png = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    sent = requests.post(
        target["url"],
        data=target["fields"],
        files={"file": ("d.png", png, "image/png")},
        timeout=30,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    too_big = requests.post(
        target["url"],
        data=target["fields"],
        files={"file": ("d.png", b"x" * (target["max_bytes"] + 1), "image/png")},
        timeout=60,
    )
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    api.expect(202, "POST", "/non_structured_data_images", {"link": target["link"]})


def test_active_learning_job_runs_on_cpu_fallback(api: Api, stack: dict[str, Any]) -> None:
    accepted = api.expect(
        202, "POST", "/non_structured_al_data_images", {"ids": stack["seed"]["dataset_ids"]}
    )
    job = api.wait_job(accepted["job_id"], timeout=600)
    assert (job["status"], job.get("device")) == ("SUCCEEDED", "cpu"), job
    assert {"ranked_ids", "curves", "plot"} <= set(job["outputs"])


def test_repeated_id_keys_are_the_documented_active_learning_form(api: Api) -> None:
    status, body = raw_post(api, "/non_structured_al_data_images", b'{"id": "1914", "id": "1918"}')
    assert status == 202, body
    job = api.expect(200, "GET", f"/jobs/{body['job_id']}")
    assert job["request"]["ids"] == ["1914", "1918"] or job["request"].get("dataset_ids") == [
        "1914",
        "1918",
    ]


def test_the_same_idempotency_key_returns_the_same_job(api: Api, stack: dict[str, Any]) -> None:
    body = json.dumps({"link": stack["seed"]["image_link"]}).encode()
    first = raw_post(api, "/non_structured_data_images", body, {"Idempotency-Key": "key-4f1c"})
    before = jobs(stack)
    second = raw_post(api, "/non_structured_data_images", body, {"Idempotency-Key": "key-4f1c"})
    assert first[0] == second[0] == 202
    assert first[1]["job_id"] == second[1]["job_id"]
    assert jobs(stack) == before
