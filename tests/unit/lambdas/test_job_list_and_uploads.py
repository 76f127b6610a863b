"""``GET /jobs`` (the caller's jobs, newest first, paged), presigned result links in a job's
answer, and ``POST /uploads`` (a presigned POST form), over moto."""

from __future__ import annotations

import copy
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lambda_testkit import Cloud, assert_error, invoke, load_event, load_handler

from ml_common.jobs import JobStore

GET_EVENT = load_event("apigw_rest_get_job.json")
POST_EVENT = load_event("apigw_rest_post_non_structured_data_images.json")
RESULTS = "atelier-test-results"
INPUTS = "atelier-test-inputs"


@pytest.fixture(autouse=True)
def buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESULTS_BUCKET", RESULTS)
    monkeypatch.setenv("INPUTS_BUCKET", INPUTS)


def _as(event: dict[str, Any], principal: str) -> dict[str, Any]:
    event["requestContext"]["authorizer"]["principalId"] = principal
    return event


def list_jobs(principal: str = "atelier-admin", **query: str) -> Any:
    event = copy.deepcopy(GET_EVENT)
    event.update(resource="/jobs", path="/jobs", pathParameters=None)
    event["requestContext"].update(resourcePath="/jobs", path="/v1/jobs")
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    return invoke(load_handler("jobs").handler, _as(event, principal))


def get_job(job_id: str) -> Any:
    event = copy.deepcopy(GET_EVENT)
    event["path"] = f"/jobs/{job_id}"
    event["pathParameters"] = {"job_id": job_id}
    return invoke(load_handler("jobs").handler, event)


def start(principal: str) -> str:
    event = _as(copy.deepcopy(POST_EVENT), principal)
    key = str(uuid.uuid4())  # one job per call (the fixture's key would return the same job)
    event["headers"]["Idempotency-Key"] = key
    event["multiValueHeaders"]["Idempotency-Key"] = [key]
    answer = invoke(load_handler("non_structured_data_images").handler, event)
    assert answer.status == 202, answer.body
    return str(answer.body["job_id"])


def upload(body: dict[str, Any]) -> Any:
    event = copy.deepcopy(POST_EVENT)
    event.update(resource="/uploads", path="/uploads", body=json.dumps(body))
    event["requestContext"].update(resourcePath="/uploads", path="/v1/uploads")
    return invoke(load_handler("uploads").handler, event)


def test_the_list_shows_the_callers_jobs_newest_first_a_page_at_a_time(cloud: Cloud) -> None:
    mine = []
    for _ in range(3):
        mine.append(start("alice"))
        time.sleep(0.002)  # distinct created_at (millisecond precision)
    theirs = start("bob")
    first = list_jobs("alice", limit="2")
    assert first.status == 200, first.body
    assert [j["job_id"] for j in first.body["jobs"]] == [mine[2], mine[1]]
    assert first.body["next"]
    second = list_jobs("alice", limit="2", next=first.body["next"])
    assert [j["job_id"] for j in second.body["jobs"]] == [mine[0]]
    assert second.body["next"] is None
    assert theirs not in json.dumps(first.body) + json.dumps(second.body)
    assert "owner" not in first.body["jobs"][0] and "task_arn" not in first.body["jobs"][0]


def test_another_callers_cursor_or_a_forged_one_is_400(cloud: Cloud) -> None:
    for _ in range(2):
        start("alice")
    cursor = list_jobs("alice", limit="1").body["next"]
    assert_error(list_jobs("bob", next=cursor), 400, "bad_request")
    assert_error(list_jobs("alice", next="not-a-cursor!"), 400, "bad_request")
    assert_error(list_jobs("alice", limit="0"), 422, "validation_error")
    assert_error(list_jobs("alice", limit="x"), 400, "bad_request")


def test_a_finished_job_carries_short_lived_links_to_its_results(cloud: Cloud) -> None:
    job_id = start("alice")
    store = JobStore("atelier-test-jobs", cloud.ddb())
    store.mark_running(job_id)
    outputs = {"overlay": f"s3://{RESULTS}/jobs/{job_id}/overlay.png", "other": "s3://x/y.png"}
    store.mark_succeeded(job_id, outputs)
    body = get_job(job_id).body
    link = urlsplit(body["outputs"]["overlay_url"])
    assert link.path.endswith(f"/jobs/{job_id}/overlay.png")
    assert parse_qs(link.query)["X-Amz-Expires"] == ["900"]
    assert "other_url" not in body["outputs"], "only the results bucket is presigned"
    listed = list_jobs("alice").body["jobs"][0]
    assert listed["outputs"]["overlay_url"].startswith("https://")


def test_uploads_answer_a_form_whose_policy_carries_the_limits(cloud: Cloud) -> None:
    import base64

    answer = upload({"filename": "../../etc/passwd.png", "content_type": "image/png"})
    assert answer.status == 200, answer.body
    body = answer.body
    assert body["link"] == f"s3://{INPUTS}/{body['key']}"
    assert body["key"].startswith("uploads/atelier-admin/") and ".." not in body["key"]
    policy = json.loads(base64.b64decode(body["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 20 * 1024 * 1024] in conditions
    assert {"key": body["key"]} in conditions


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"filename": "x.exe", "content_type": "application/x-msdownload"},
            422,
            "validation_error",
        ),
        ({"filename": "", "content_type": "image/png"}, 422, "validation_error"),
        ({"content_type": "image/png"}, 422, "validation_error"),
        ({"filename": "a.png", "content_type": "image/png", "size": 5}, 422, "validation_error"),
    ],
)
def test_bad_upload_requests_are_refused(
    cloud: Cloud, body: dict[str, Any], status: int, code: str
) -> None:
    assert_error(upload(body), status, code)
