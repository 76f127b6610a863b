"""``GET /jobs/{job_id}`` and stale-job reconciliation (the store itself: tests/integration/test_job_contract.py)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lambda_testkit import (
    CLUSTER,
    Cloud,
    assert_error,
    invoke,
    load_event,
    load_handler,
)

from lambda_shared.tasks import TaskEnd
from ml_common.jobs import FAILED, PENDING, RUNNING, SUCCEEDED, JobStore

EVENT = load_event("apigw_rest_get_job.json")
JOBS_TABLE = "atelier-test-jobs"


def get(job_id: str) -> Any:
    event = copy.deepcopy(EVENT)
    event["path"] = f"/jobs/{job_id}"
    event["requestContext"]["path"] = f"/v1/jobs/{job_id}"
    event["pathParameters"] = {"job_id": job_id}
    return invoke(load_handler("jobs").handler, event)


def start_image_job() -> str:
    answer = invoke(
        load_handler("non_structured_data_images").handler,
        load_event("apigw_rest_post_non_structured_data_images.json"),
    )
    assert answer.status == 202
    return str(answer.body["job_id"])


def store(cloud: Cloud) -> JobStore:
    return JobStore(JOBS_TABLE, cloud.ddb())


def test_a_started_job_reads_back(cloud: Cloud) -> None:
    job_id = start_image_job()
    answer = get(job_id)
    assert answer.status == 200
    assert answer.body["job_id"] == job_id
    assert answer.body["status"] == PENDING
    assert answer.body["pipeline"] == "non_structured_data_images"
    assert answer.body["request"] == {"link": "s3://atelier-qa-inputs/composites/0001.png"}
    assert "task_arn" not in answer.body  # internal


def test_a_finished_job_shows_timings_outputs_progress(cloud: Cloud) -> None:
    job_id = start_image_job()
    jobs = store(cloud)
    jobs.mark_running(job_id, device="cpu")
    jobs.mark_succeeded(job_id, {"result": "s3://r/result.json", "overlay": "s3://r/overlay.png"})
    body = get(job_id).body
    assert body["status"] == SUCCEEDED
    assert body["outputs"] == {"result": "s3://r/result.json", "overlay": "s3://r/overlay.png"}
    assert body["device"] == "cpu"
    created, started, finished = (
        datetime.fromisoformat(body[k].replace("Z", "+00:00"))
        for k in ("created_at", "started_at", "finished_at")
    )
    assert created <= started <= finished


def test_progress_numbers_are_plain_json_numbers(cloud: Cloud) -> None:
    job_id = start_image_job()
    store(cloud).mark_running(job_id)
    cloud.ddb().update_item(
        TableName=JOBS_TABLE,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET progress = :p",
        ExpressionAttributeValues={":p": {"M": {"round": {"N": "2"}, "of": {"N": "5"}}}},
    )
    assert get(job_id).body["progress"] == {"round": 2, "of": 5}


def test_unknown_job_is_404(cloud: Cloud) -> None:
    assert_error(get("3f2b9c1d-8e7a-4b6c-9d5e-0a1b2c3d4e5f"), 404, "not_found")


@pytest.mark.parametrize(
    "job_id",
    [
        "not-a-uuid",
        "1' OR '1'='1",
        "3f2b9c1d-8e7a-1b6c-9d5e-0a1b2c3d4e5f",  # uuid1, never issued
        "3f2b9c1d8e7a4b6c9d5e0a1b2c3d4e5f",
        "..%2F..%2Fetc",
        "x" * 500,
        "\u00b8\U0001a0da\n(\x15\u00e8",  # a newline and control characters (found by fuzzing)
    ],
)
def test_malformed_job_ids_are_400(cloud: Cloud, job_id: str) -> None:
    assert_error(get(job_id), 400, "bad_request")


def test_uppercase_uuid_is_the_same_job(cloud: Cloud) -> None:
    job_id = start_image_job()
    assert get(job_id.upper()).body["job_id"] == job_id


# ---- reconciliation: a job never stays RUNNING after its task died --------------------------


def test_running_job_whose_task_stopped_is_marked_failed(cloud: Cloud) -> None:
    job_id = start_image_job()
    jobs = store(cloud)
    jobs.mark_running(job_id)
    task_arn = jobs.get(job_id)["task_arn"]  # type: ignore[index]
    cloud.ecs().stop_task(
        cluster=CLUSTER,
        task=task_arn,
        reason="OutOfMemoryError: Container killed due to memory usage",
    )
    body = get(job_id).body
    assert body["status"] == FAILED
    assert "OutOfMemoryError" in body["error"] and "stopped" in body["error"]
    assert body["finished_at"]
    stored = jobs.get(job_id)
    assert stored is not None and stored["status"] == FAILED  # written, not just shown
    assert get(job_id).body == body  # and stable


def test_pending_job_whose_task_stopped_is_marked_failed(cloud: Cloud) -> None:
    job_id = start_image_job()
    task_arn = store(cloud).get(job_id)["task_arn"]  # type: ignore[index]
    cloud.ecs().stop_task(cluster=CLUSTER, task=task_arn, reason="CannotPullContainerError")
    body = get(job_id).body
    assert body["status"] == FAILED and "CannotPullContainerError" in body["error"]


def test_running_job_with_live_task_is_left_alone(cloud: Cloud) -> None:
    job_id = start_image_job()
    store(cloud).mark_running(job_id)
    assert get(job_id).body["status"] == RUNNING


def test_finished_job_is_never_rewritten(cloud: Cloud) -> None:
    job_id = start_image_job()
    jobs = store(cloud)
    jobs.mark_running(job_id)
    jobs.mark_succeeded(job_id, {"result": "s3://r/x.json"})
    task_arn = jobs.get(job_id)["task_arn"]  # type: ignore[index]
    cloud.ecs().stop_task(cluster=CLUSTER, task=task_arn, reason="Essential container exited")
    assert get(job_id).body["status"] == SUCCEEDED


def test_task_writing_success_first_wins_the_race(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task's own final write lands between our read and our FAILED write: ours loses."""
    from lambda_shared import job_status

    job_id = start_image_job()
    jobs = store(cloud)
    jobs.mark_running(job_id)

    def stopped_after_success(cluster: str, task_arn: str) -> TaskEnd:
        jobs.mark_succeeded(job_id, {"result": "s3://r/x.json"})
        return TaskEnd(
            last_status="STOPPED", exit_code=0, stopped_reason="Essential container exited"
        )

    monkeypatch.setattr(job_status, "task_end", stopped_after_success)
    body = get(job_id).body
    assert body["status"] == SUCCEEDED and "error" not in body


def test_exit_code_and_reasons_in_the_error(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_shared import aws

    job_id = start_image_job()
    store(cloud).mark_running(job_id)
    described = {
        "tasks": [
            {
                "lastStatus": "STOPPED",
                "stopCode": "EssentialContainerExited",
                "stoppedReason": "Essential container in task exited",
                "containers": [
                    {"name": "non_structured_data_images", "exitCode": 137, "reason": "OOMKilled"}
                ],
            }
        ],
        "failures": [],
    }
    monkeypatch.setattr(aws.client("ecs"), "describe_tasks", lambda **kw: described)
    error = get(job_id).body["error"]
    assert "exit code 137" in error and "OOMKilled" in error and "EssentialContainerExited" in error


def test_task_gone_from_ecs_fails_the_job(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_shared import aws

    job_id = start_image_job()
    store(cloud).mark_running(job_id)
    missing = {"tasks": [], "failures": [{"arn": "x", "reason": "MISSING"}]}
    monkeypatch.setattr(aws.client("ecs"), "describe_tasks", lambda **kw: missing)
    body = get(job_id).body
    assert body["status"] == FAILED and "no longer exists" in body["error"]


def test_ecs_unreachable_answers_the_stored_job(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from lambda_shared import aws

    job_id = start_image_job()
    store(cloud).mark_running(job_id)

    def denied(**kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeTasks"
        )

    monkeypatch.setattr(aws.client("ecs"), "describe_tasks", denied)
    answer = get(job_id)
    assert answer.status == 200 and answer.body["status"] == RUNNING


def test_pending_job_that_never_got_a_task_fails_after_a_while(cloud: Cloud) -> None:
    from lambda_shared import job_status

    jobs = store(cloud)
    job_id = "0b9f6c1e-2d3a-4c5b-8e7f-1a2b3c4d5e6f"
    jobs.create(job_id, "non_structured_data_images", {"link": "s3://a1/b.png"})
    assert get(job_id).body["status"] == PENDING  # young: its lambda may still be running
    later = datetime.now(UTC) + job_status.UNSTARTED_AFTER + timedelta(seconds=1)
    job = jobs.get(job_id)
    assert job is not None
    failed = job_status.reconcile(jobs, job, CLUSTER, later)
    assert failed["status"] == FAILED and failed["error"] == job_status.NEVER_STARTED


def test_after_init_a_status_builds_no_client(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The jobs function's init makes its settings and clients (a first poll after a deploy
    otherwise paid for them, ~0.3 s while pollers ramped up)."""
    import boto3

    from lambda_shared import aws

    aws.reset()  # as in a new process: no client yet
    module = load_handler("jobs", fresh=True)

    def no_client(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a client made in the request: {args}")

    monkeypatch.setattr(boto3, "client", no_client)
    job_id = "3f2b9c1d-8e7a-4b6c-9d5e-0a1b2c3d4e5f"
    event = copy.deepcopy(EVENT)
    event["path"], event["requestContext"]["path"] = f"/jobs/{job_id}", f"/v1/jobs/{job_id}"
    event["pathParameters"] = {"job_id": job_id}
    assert_error(invoke(module.handler, event), 404, "not_found")
