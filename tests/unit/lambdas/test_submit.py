"""``POST /non_structured_data_images`` and ``POST /non_structured_al_data_images``: a PENDING
job, a RunTask with the right overrides, 202; idempotency; nothing stored for bad input."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
from lambda_testkit import (
    AL_FAMILY,
    CLUSTER,
    IMAGES_FAMILY,
    Cloud,
    assert_error,
    invoke,
    load_event,
    load_handler,
    reset_caches,
    with_body,
    with_header,
)

IMAGES_EVENT = load_event("apigw_rest_post_non_structured_data_images.json")
AL_EVENT = load_event("apigw_rest_post_non_structured_al_data_images.json")
AL_REPEATED_EVENT = load_event("apigw_rest_post_non_structured_al_data_images_repeated_id.json")


def images(event: dict[str, Any]):  # type: ignore[no-untyped-def]
    return invoke(load_handler("non_structured_data_images").handler, event)


def active_learning(event: dict[str, Any]):  # type: ignore[no-untyped-def]
    return invoke(load_handler("non_structured_al_data_images").handler, event)


def container_env(cloud: Cloud, task_arn: str) -> dict[str, str]:
    task = cloud.ecs().describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"][0]
    (override,) = task["overrides"]["containerOverrides"]
    return {"name": override["name"], **{e["name"]: e["value"] for e in override["environment"]}}


def test_image_job_is_created_and_its_task_started(cloud: Cloud) -> None:
    answer = images(IMAGES_EVENT)
    assert answer.status == 202
    assert answer.headers["content-type"] == "application/json"
    assert answer.body["status"] == "PENDING"
    job = cloud.job(answer.body["job_id"])
    assert job is not None
    assert job["status"] == "PENDING"
    assert job["pipeline"] == "non_structured_data_images"
    assert job["request"] == {"link": "s3://atelier-qa-inputs/composites/0001.png"}
    assert job["created_at"].endswith("Z")
    (task_arn,) = cloud.tasks()
    assert job["task_arn"] == task_arn
    task = cloud.ecs().describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"][0]
    assert IMAGES_FAMILY in task["taskDefinitionArn"]
    assert task["launchType"] == "FARGATE"
    assert task["startedBy"] == job["job_id"]
    assert container_env(cloud, task_arn) == {
        "name": "non_structured_data_images",
        "JOB_ID": job["job_id"],
        "INPUT_LINK": "s3://atelier-qa-inputs/composites/0001.png",
    }


def test_run_task_gets_the_network_configuration(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_shared import aws

    seen: list[dict[str, Any]] = []
    ecs = aws.client("ecs")
    real = ecs.run_task

    def run_task(**kw: Any) -> Any:
        seen.append(kw)
        return real(**kw)

    monkeypatch.setattr(ecs, "run_task", run_task)
    images(with_header(IMAGES_EVENT, "Idempotency-Key", None))
    active_learning(with_header(AL_EVENT, "Idempotency-Key", None))
    image_call, al_call = seen
    assert image_call["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": [cloud.subnet],
            "securityGroups": [cloud.security_group],
            "assignPublicIp": "DISABLED",
        }
    }
    assert image_call["launchType"] == "FARGATE" and image_call["cluster"] == CLUSTER
    assert al_call["launchType"] == "EC2"  # GPU task definitions are EC2-only
    assert "capacityProviderStrategy" not in al_call


def test_gpu_capacity_provider_is_used_when_configured(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_testkit import reset_caches

    from lambda_shared import aws

    monkeypatch.setenv("GPU_CAPACITY_PROVIDER", "atelier-test-gpu")
    reset_caches()
    seen: list[dict[str, Any]] = []

    def run_task(**kw: Any) -> Any:
        seen.append(kw)
        return {"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/atelier-test/abc"}]}

    monkeypatch.setattr(aws.client("ecs"), "run_task", run_task)
    assert active_learning(AL_EVENT).status == 202
    assert seen[0]["capacityProviderStrategy"] == [
        {"capacityProvider": "atelier-test-gpu", "weight": 1, "base": 0}
    ]
    assert "launchType" not in seen[0]


def test_active_learning_job_with_ids(cloud: Cloud) -> None:
    answer = active_learning(AL_EVENT)
    assert answer.status == 202 and answer.body["status"] == "PENDING"
    job = cloud.job(answer.body["job_id"])
    assert job is not None
    assert job["pipeline"] == "non_structured_al_data_images"
    assert job["request"] == {"ids": ["1914", "1918", "1939"]}
    task = cloud.ecs().describe_tasks(cluster=CLUSTER, tasks=[job["task_arn"]])["tasks"][0]
    assert AL_FAMILY in task["taskDefinitionArn"]
    env = container_env(cloud, job["task_arn"])
    assert env["name"] == "non_structured_al_data_images"
    assert env["JOB_ID"] == job["job_id"]
    assert json.loads(env["DATASET_IDS"]) == ["1914", "1918", "1939"]


def test_active_learning_job_with_repeated_id_keys(cloud: Cloud) -> None:
    assert '"id": "1914", "id": "1918"' in AL_REPEATED_EVENT["body"]
    answer = active_learning(AL_REPEATED_EVENT)
    assert answer.status == 202
    job = cloud.job(answer.body["job_id"])
    assert job is not None and job["request"] == {"ids": ["1914", "1918", "1939"]}
    assert json.loads(container_env(cloud, job["task_arn"])["DATASET_IDS"]) == [
        "1914",
        "1918",
        "1939",
    ]


# ---- idempotency ----------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_same_job(cloud: Cloud) -> None:
    first, second = images(IMAGES_EVENT), images(IMAGES_EVENT)
    assert first.status == second.status == 202
    assert first.body == second.body
    assert len(cloud.jobs()) == 1 and len(cloud.tasks()) == 1
    assert len(cloud.idempotency_records()) == 1
    # the key header is matched case-insensitively (HTTP/2 clients send it lowercase)
    key = IMAGES_EVENT["headers"]["Idempotency-Key"]
    third = images(with_header(IMAGES_EVENT, "idempotency-key", key))
    assert third.body == first.body


def test_another_key_or_no_key_starts_another_job(cloud: Cloud) -> None:
    first = images(IMAGES_EVENT)
    other = images(with_header(IMAGES_EVENT, "Idempotency-Key", "another-key"))
    no_key_1 = images(with_header(IMAGES_EVENT, "Idempotency-Key", None))
    no_key_2 = images(with_header(IMAGES_EVENT, "Idempotency-Key", None))
    ids = {a.body["job_id"] for a in (first, other, no_key_1, no_key_2)}
    assert len(ids) == 4
    assert len(cloud.jobs()) == 4 and len(cloud.tasks()) == 4


def test_key_reused_with_another_body_is_refused(cloud: Cloud) -> None:
    images(IMAGES_EVENT)
    answer = images(with_body(IMAGES_EVENT, {"link": "https://example.com/other.png"}))
    assert_error(answer, 422, "idempotency_key_reused")
    assert len(cloud.jobs()) == 1


def test_keys_are_per_route(cloud: Cloud) -> None:
    """The same key on the two job routes names two different requests."""
    key = "shared-key-123"
    a = images(with_header(IMAGES_EVENT, "Idempotency-Key", key))
    b = active_learning(with_header(AL_EVENT, "Idempotency-Key", key))
    assert a.status == b.status == 202 and a.body["job_id"] != b.body["job_id"]


def test_keys_are_per_caller(cloud: Cloud) -> None:
    """Two users who happen to send the same key (and body) get their own jobs."""
    other_user = copy.deepcopy(IMAGES_EVENT)
    other_user["requestContext"]["authorizer"]["principalId"] = "grace"
    mine, theirs = images(IMAGES_EVENT), images(other_user)
    assert mine.status == theirs.status == 202
    assert mine.body["job_id"] != theirs.body["job_id"]
    assert images(other_user).body == theirs.body


def test_concurrent_duplicate_is_409_not_a_second_task(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first request with a key is running, a duplicate is told to retry."""
    from lambda_shared import submit

    entered, release = threading.Event(), threading.Event()
    real = submit.start_job
    answers: dict[str, Any] = {}

    def slow_start(pipeline: Any, request: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        release.wait(10)
        return real(pipeline, request)

    monkeypatch.setattr(submit, "start_job", slow_start)
    worker = threading.Thread(target=lambda: answers.setdefault("first", images(IMAGES_EVENT)))
    worker.start()
    assert entered.wait(10)
    duplicate = images(IMAGES_EVENT)
    release.set()
    worker.join(10)
    assert_error(duplicate, 409, "idempotency_in_progress")
    assert answers["first"].status == 202
    assert len(cloud.tasks()) == 1
    assert images(IMAGES_EVENT).body == answers["first"].body


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\tkey", "é"])
def test_malformed_idempotency_keys_are_400(cloud: Cloud, key: str) -> None:
    assert_error(
        images(with_header(IMAGES_EVENT, "Idempotency-Key", key)), 400, "invalid_idempotency_key"
    )
    assert cloud.jobs() == []


# ---- RunTask failures -----------------------------------------------------------------------


def test_run_task_failure_fails_the_job_and_answers_503(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGES_TASK_DEFINITION", "atelier-test-missing-family")
    from lambda_testkit import reset_caches

    reset_caches()
    answer = images(IMAGES_EVENT)
    assert_error(answer, 503, "service_unavailable")
    job = cloud.job(answer.body["job_id"])
    assert job is not None
    assert job["status"] == "FAILED"
    assert "RunTask failed" in job["error"] and job["finished_at"]
    assert answer.body["status"] == "FAILED"
    assert cloud.tasks() == []
    # the failure is not remembered under the key: a retry really retries
    monkeypatch.setenv("IMAGES_TASK_DEFINITION", IMAGES_FAMILY)
    reset_caches()
    retry = images(IMAGES_EVENT)
    assert retry.status == 202 and retry.body["job_id"] != answer.body["job_id"]


def test_run_task_without_a_task_is_a_failure(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_shared import aws

    failures = {"tasks": [], "failures": [{"arn": "x", "reason": "RESOURCE:MEMORY"}]}
    monkeypatch.setattr(aws.client("ecs"), "run_task", lambda **kw: failures)
    answer = active_learning(AL_EVENT)
    assert_error(answer, 503, "service_unavailable")
    job = cloud.job(answer.body["job_id"])
    assert job is not None and job["status"] == "FAILED" and "RESOURCE:MEMORY" in job["error"]


# ---- bad input: clear 4xx, nothing stored, no task ------------------------------------------

IMAGE_BAD = [
    ('{"link": "s3://b/k.png"', True, 400, "invalid_json"),
    ("", True, 400, "invalid_json"),
    ({}, False, 422, "validation_error"),
    ({"link": 42}, False, 422, "validation_error"),
    ({"link": ["s3://atelier/a.png"]}, False, 422, "validation_error"),
    ({"link": "s3://atelier/a.png", "priority": "high"}, False, 422, "validation_error"),
    ({"link": ""}, False, 422, "validation_error"),
    ({"link": "file:///etc/passwd"}, False, 400, "invalid_link"),
    ({"link": "ftp://example.com/a.png"}, False, 400, "invalid_link"),
    ({"link": "https://user:secret@example.com/a.png"}, False, 400, "invalid_link"),
    ({"link": "s3://atelier/" + "k" * 3000}, False, 400, "invalid_link"),
    ({"link": "s3://atelier/" + "k" * 70_000}, False, 413, "payload_too_large"),
    ('{"link": "s3://a1/x.png", "link": "file:///etc/passwd"}', True, 400, "invalid_json"),
    ('["s3://atelier/a.png"]', True, 422, "validation_error"),
]


@pytest.mark.parametrize(("body", "raw", "status", "code"), IMAGE_BAD)
def test_bad_image_requests(cloud: Cloud, body: object, raw: bool, status: int, code: str) -> None:
    assert_error(images(with_body(IMAGES_EVENT, body, raw=raw)), status, code)
    assert cloud.jobs() == [] and cloud.tasks() == []
    assert cloud.idempotency_records() == []


# The bad-input matrix: links that point inside the network are refused by the API
# with the image task's own rules (ml_common.links), before a job, a task or a key is stored.
REFUSED_LINKS = [
    ("http://127.0.0.1/a.png", "non-public address (127.0.0.1)"),
    ("http://169.254.169.254/latest/meta-data/", "metadata address (169.254.169.254)"),
    ("http://10.0.0.1/x.png", "non-public address (10.0.0.1)"),
    ("https://[::1]/a.png", "non-public address (::1)"),
    ("http://localhost:8080/a.png", "localhost resolves to a non-public address (127.0.0.1)"),
    ("https://intranet.example/a.png", "non-public address (10.0.0.1)"),
    ("https://metadata.example/latest", "metadata address (169.254.169.254)"),
    ("https://no-such-host.example/a.png", "cannot resolve host"),
    ("file:///etc/passwd", "scheme"),
]


@pytest.mark.parametrize(("link", "reason"), REFUSED_LINKS)
def test_links_to_private_addresses_are_400_and_store_nothing(
    cloud: Cloud, link: str, reason: str
) -> None:
    unkeyed = with_header(IMAGES_EVENT, "Idempotency-Key", None)
    for event in (with_body(IMAGES_EVENT, {"link": link}), with_body(unkeyed, {"link": link})):
        answer = images(event)
        assert_error(answer, 400, "invalid_link")
        assert reason in answer.body["message"], answer.body
    assert cloud.jobs() == [] and cloud.tasks() == []
    assert cloud.idempotency_records() == []


def test_link_allowlist_lets_a_trusted_private_host_through(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINK_ALLOWLIST (set by the topology on the lambda as on the task) is honoured; the
    metadata address never is."""
    monkeypatch.setenv("LINK_ALLOWLIST", "10.0.0.0/8, localhost, 169.254.0.0/16")
    reset_caches()
    unkeyed = with_header(IMAGES_EVENT, "Idempotency-Key", None)
    for link in ("http://10.0.0.1/x.png", "http://localhost:8080/a.png"):
        assert images(with_body(unkeyed, {"link": link})).status == 202
    assert len(cloud.jobs()) == 2 and len(cloud.tasks()) == 2
    answer = images(with_body(unkeyed, {"link": "http://169.254.169.254/latest"}))
    assert_error(answer, 400, "invalid_link")
    assert len(cloud.jobs()) == 2


def test_a_public_http_link_starts_a_job(cloud: Cloud) -> None:
    answer = images(with_body(IMAGES_EVENT, {"link": "https://images.example.org/a.png"}))
    assert answer.status == 202
    (task_arn,) = cloud.tasks()
    assert container_env(cloud, task_arn)["INPUT_LINK"] == "https://images.example.org/a.png"


AL_BAD = [
    ('{"ids": ["1914",]}', True, 400, "invalid_json"),
    ({}, False, 422, "validation_error"),
    ({"ids": []}, False, 422, "validation_error"),
    ({"ids": "1914"}, False, 422, "validation_error"),
    ({"ids": [1914, 1918]}, False, 422, "validation_error"),
    ({"ids": ["1914'; DROP TABLE jobs;--"]}, False, 422, "validation_error"),
    ({"ids": ["1914"], "rounds": 50}, False, 422, "validation_error"),
    ({"ids": [str(n) for n in range(1000, 1021)]}, False, 422, "validation_error"),
    ('{"ids": ["1914"], "id": "1918"}', True, 422, "validation_error"),
    ('{"ids": ["1914"], "ids": ["1918"]}', True, 400, "invalid_json"),
    ('{"id": "1914", "id": 1918}', True, 422, "validation_error"),
    ({"ids": ["1" * 40_000, "2" * 40_000]}, False, 413, "payload_too_large"),
]


@pytest.mark.parametrize(("body", "raw", "status", "code"), AL_BAD)
def test_bad_active_learning_requests(
    cloud: Cloud, body: object, raw: bool, status: int, code: str
) -> None:
    assert_error(active_learning(with_body(AL_EVENT, body, raw=raw)), status, code)
    assert cloud.jobs() == [] and cloud.tasks() == []


def test_validation_errors_name_every_field(cloud: Cloud) -> None:
    answer = images(with_body(IMAGES_EVENT, {"url": "s3://a/b"}))
    fields = {e["field"]: e["problem"] for e in answer.body["errors"]}
    assert fields == {"link": "is required", "url": "is not an accepted field"}
