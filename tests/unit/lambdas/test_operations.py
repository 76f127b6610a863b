"""``GET /operations`` over moto: the environment's alarms, the canary's last minutes, the
last drift check with a presigned link to its report; bad input answers a JSON 400."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from lambda_testkit import REGION, Cloud, assert_error, invoke, load_event, load_handler

from lambda_shared import operations as ops
from lambda_shared.contract import Operations

ARTIFACTS = "atelier-test-artifacts"
GET_EVENT = load_event("apigw_rest_get_job.json")


@pytest.fixture(autouse=True)
def artifacts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTIFACTS_BUCKET", ARTIFACTS)


def get_operations(**query: str) -> Any:
    event = copy.deepcopy(GET_EVENT)
    event.update(resource="/operations", path="/operations", pathParameters=None)
    event["requestContext"].update(resourcePath="/operations", path="/v1/operations")
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    return invoke(load_handler("operations").handler, event)


def _alarm(cw: Any, name: str, namespace: str = "Atelier/Canary") -> None:
    cw.put_metric_alarm(
        AlarmName=name, MetricName="Failures", Namespace=namespace, Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip


def _canary_minute(cw: Any, at: datetime, ok: bool, wrong: int, latency: float) -> None:
    cw.put_metric_data(
        Namespace=ops.CANARY_NAMESPACE,
        MetricData=[
            {"MetricName": "Success", "Value": 1.0 if ok else 0.0, "Timestamp": at},
            {"MetricName": "WrongAnswers", "Value": float(wrong), "Timestamp": at},
            {"MetricName": "Latency", "Value": latency, "Timestamp": at, "Unit": "Milliseconds"},
        ],
    )


def test_alarms_canary_and_drift_in_one_answer(cloud: Cloud) -> None:
    cw = boto3.client("cloudwatch", region_name=REGION)
    _alarm(cw, "atelier-test-canary_failed")
    _alarm(cw, "atelier-test-api_5xx", "AWS/ApiGateway")
    _alarm(cw, "atelier-prod-canary_failed")  # another environment's alarm: not shown
    cw.set_alarm_state(
        AlarmName="atelier-test-canary_failed", StateValue="ALARM", StateReason="the check failed"
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _canary_minute(cw, now - timedelta(minutes=2), True, 0, 120.0)
    _canary_minute(cw, now - timedelta(minutes=1), False, 2, 480.0)
    _canary_minute(cw, now - timedelta(minutes=90), True, 0, 100.0)  # outside the window
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ARTIFACTS)
    s3.put_object(Bucket=ARTIFACTS, Key="drift/2026-12-01T060000Z/index.html", Body=b"<html/>")
    s3.put_object(
        Bucket=ARTIFACTS,
        Key=ops.DRIFT_SUMMARY,
        Body=json.dumps({
            "checked_at": "2026-12-01T06:00:00+00:00", "share": 0.6,
            "drifted": ["radius_mean", "texture_mean"], "current_rows": 120,
            "report_key": "drift/2026-12-01T060000Z/index.html",
        }).encode(),
    )  # fmt: skip

    answer = get_operations(minutes="30")

    assert answer.status == 200, answer.body
    body = Operations.model_validate(answer.body)  # the contract's model (lambdas/openapi.json)
    assert body.environment == "test" and body.minutes == 30
    assert [a.name for a in body.alarms] == ["atelier-test-canary_failed", "atelier-test-api_5xx"]
    assert body.alarms[0].state == "ALARM"  # in ALARM first
    assert body.alarms[1].state != "ALARM"
    assert body.alarms[0].reason == "the check failed" and body.alarms[0].updated
    assert [(c.success, c.wrong_answers, c.latency_ms) for c in body.canary] == [
        (True, 0, 120.0),
        (False, 2, 480.0),
    ]
    assert body.drift is not None
    assert body.drift.share == 0.6 and body.drift.drifted == ["radius_mean", "texture_mean"]
    url = urlsplit(body.drift.report_url or "")
    assert "drift/2026-12-01T060000Z/index.html" in url.path and "X-Amz-Signature" in url.query


def test_before_any_check_or_alarm_the_view_is_empty(cloud: Cloud) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=ARTIFACTS)
    answer = get_operations()
    assert answer.status == 200, answer.body
    assert answer.body == {
        "environment": "test", "minutes": ops.DEFAULT_MINUTES, "alarms": [], "canary": [],
        "drift": None,
    }  # fmt: skip


@pytest.mark.parametrize("minutes", ["0", "181", "ten", "-5", "1.5"])
def test_a_bad_minutes_parameter_is_a_json_400(cloud: Cloud, minutes: str) -> None:
    answer = get_operations(minutes=minutes)
    assert_error(answer, 400, "bad_request")
    assert "minutes" in answer.body["message"]


def test_without_the_artifacts_bucket_setting_it_answers_a_configuration_error(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTIFACTS_BUCKET")
    from lambda_shared import settings

    settings.reset()
    answer = get_operations()
    assert answer.status == 500
    assert "ARTIFACTS_BUCKET" not in json.dumps(answer.body)  # named in the log, not the answer


def test_a_report_key_outside_the_drift_prefix_gets_no_link(cloud: Cloud) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ARTIFACTS)
    summary = {"share": 0.1, "drifted": [], "report_key": "secrets/other.html"}
    s3.put_object(Bucket=ARTIFACTS, Key=ops.DRIFT_SUMMARY, Body=json.dumps(summary).encode())
    drift = ops.drift(ARTIFACTS, 60)
    assert drift is not None and drift["report_url"] is None and drift["share"] == 0.1
