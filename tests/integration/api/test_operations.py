"""What operations read: the Operations route (alarms, the last drift check), the per-route
metrics the alarms watch, the canary's image check and the drift check run now."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from atelier_devtools.deployed_api import ENV, assert_clear_error
from atelier_devtools.e2e.api import Api
from atelier_devtools.paths import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# -- the Operations view's route ----------------------------------------------------------------


def test_operations_shows_the_environments_alarms_and_the_last_drift_check(
    api: Api, stack: dict[str, Any]
) -> None:
    """GET /operations through API Gateway: the alarms the deploy created (this environment's
    only), then a drift check's summary and report appear with a working presigned link."""
    first = api.expect(200, "GET", "/operations?minutes=15")
    assert first["environment"] == ENV and first["minutes"] == 15
    names = {a["name"] for a in first["alarms"]}
    assert f"atelier-{ENV}-drift_share" in names and f"atelier-{ENV}-canary_failed" in names
    assert all(n.startswith(f"atelier-{ENV}-") for n in names)
    assert {a["state"] for a in first["alarms"]} <= {"OK", "ALARM", "INSUFFICIENT_DATA"}
    assert isinstance(first["canary"], list)

    bucket = stack["outputs"]["buckets"]["artifacts"]
    s3 = stack["client"]("s3")
    report_key = "drift/2026-12-01T060000Z/index.html"
    s3.put_object(Bucket=bucket, Key=report_key, Body=b"<html>drift report</html>")
    summary = {"checked_at": "2026-12-01T06:00:00+00:00", "share": 0.75,
               "drifted": ["radius_mean"], "current_rows": 64, "report_key": report_key}  # fmt: skip
    s3.put_object(Bucket=bucket, Key="drift/latest.json", Body=json.dumps(summary).encode())
    try:
        drift = api.expect(200, "GET", "/operations")["drift"]
        assert drift["share"] == 0.75 and drift["drifted"] == ["radius_mean"]
        with urllib.request.urlopen(drift["report_url"], timeout=30) as resp:
            assert resp.status == 200 and b"drift report" in resp.read()
    finally:
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": "drift/latest.json"}, {"Key": report_key}]}
        )

    req = urllib.request.Request(api.base_url + "/operations?minutes=0")
    req.add_header("Authorization", f"Bearer {api.token}")
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("minutes=0 was accepted")
    except urllib.error.HTTPError as err:
        assert_clear_error(err.code, json.loads(err.read() or b"{}"), 400)


# -- operations: per-route metrics and the canary's image check -------------------------------


def _stat(cw: Any, metric: str, dims: dict[str, str], stat: str) -> float:
    """One statistic over the last 15 minutes (the window covers every call of this module)."""
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(
        Namespace="Atelier/Api",
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - timedelta(minutes=15),
        EndTime=now + timedelta(minutes=2),
        Period=60,
        Statistics=[stat],
    )
    return float(sum(p[stat] for p in got["Datapoints"]))


def test_each_route_publishes_latency_and_status_class_that_the_alarms_read(
    api: Api, stack: dict[str, Any]
) -> None:
    """The lambdas' EMF lines (lambda_shared.metrics), through the runtime's Lambda logs and
    EMF extraction, are Atelier/Api datapoints per route, status class and pipeline; the p99
    alarm of the route watches exactly those dimensions."""
    cw = stack["client"]("cloudwatch")
    route = {"Environment": ENV, "Route": "/structured_data"}
    refused = {**route, "StatusClass": "4xx"}
    pipeline = {"Environment": ENV, "Pipeline": "structured_data"}
    before = {
        "route": _stat(cw, "Requests", route, "Sum"),
        "refused": _stat(cw, "Requests", refused, "Sum"),
        "pipeline": _stat(cw, "Latency", pipeline, "SampleCount"),
    }
    for _ in range(3):
        api.expect(200, "POST", "/structured_data", {"id": "1789"})
    api.expect(404, "POST", "/structured_data", {"id": "999999"})
    deadline = time.monotonic() + 60  # Lambda log -> EMF -> datapoint, with a loaded machine
    while True:
        now = {
            "route": _stat(cw, "Requests", route, "Sum"),
            "refused": _stat(cw, "Requests", refused, "Sum"),
            "pipeline": _stat(cw, "Latency", pipeline, "SampleCount"),
        }
        if all(now[k] - before[k] >= n for k, n in (("route", 4), ("refused", 1), ("pipeline", 4))):
            break
        assert time.monotonic() < deadline, f"Atelier/Api datapoints missing: {before} -> {now}"
        time.sleep(1.0)
    end = datetime.now(UTC) + timedelta(minutes=2)
    got = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p99",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Atelier/Api",
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": k, "Value": v} for k, v in route.items()],
                    },
                    "Period": 60,
                    "Stat": "p99",
                },
            }
        ],
        StartTime=end - timedelta(minutes=17),
        EndTime=end,
    )["MetricDataResults"][0]
    assert got["Values"] and all(v > 0 for v in got["Values"]), got
    alarm = cw.describe_alarms(AlarmNames=[f"atelier-{ENV}-api_p99_latency_structured_data"])
    (watch,) = alarm["MetricAlarms"]
    assert (watch["Namespace"], watch["MetricName"], watch["ExtendedStatistic"]) == (
        "Atelier/Api", "Latency", "p99",
    )  # fmt: skip
    assert {d["Name"]: d["Value"] for d in watch["Dimensions"]} == route


def test_the_canary_checks_the_image_model_within_its_timeout(stack: dict[str, Any]) -> None:
    """The deployed canary Lambda with the image check on (as prod's sizes.canary_image_check):
    it submits the golden image the deploy uploaded and follows the job to SUCCEEDED; with a
    short timeout it stops following in time and still returns (no function timeout)."""
    s3, base = stack["client"]("s3"), stack["client"]("lambda")
    lam = boto3.client(  # one invocation may outlast the harness client's 60 s read timeout
        "lambda", endpoint_url=base.meta.endpoint_url, region_name=base.meta.region_name,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(read_timeout=300, retries={"max_attempts": 0}),
    )  # fmt: skip
    name, inputs = f"atelier-{ENV}-canary", stack["outputs"]["buckets"]["inputs"]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert env["CANARY_IMAGE_LINK"] == ""  # off by default: this environment's sizes say so
    assert s3.head_object(Bucket=inputs, Key="canary/golden-image.png")["ContentLength"] > 0
    env["CANARY_IMAGE_LINK"] = f"s3://{inputs}/canary/golden-image.png"
    env["CANARY_CALL_TIMEOUT_S"] = "60"  # a loaded CI runner: RunTask may take more than 10 s

    def run(timeout: int) -> tuple[dict[str, Any], float]:
        lam.update_function_configuration(
            FunctionName=name, Timeout=timeout, Environment={"Variables": env}
        )
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        started = time.monotonic()
        out = lam.invoke(FunctionName=name)
        assert "FunctionError" not in out, out["Payload"].read()
        return json.loads(out["Payload"].read()), time.monotonic() - started

    def settled(job_id: str) -> str:  # no task left writing results when the stack goes
        table, deadline, status = stack["client"]("dynamodb"), time.monotonic() + 420, ""
        while job_id and time.monotonic() < deadline:
            item = table.get_item(TableName=stack["jobs_table"], Key={"job_id": {"S": job_id}})
            status = item.get("Item", {}).get("status", {}).get("S", "")
            if status in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(2)
        return status

    try:
        # The canary follows its image job until its time is up; on a loaded runner the task
        # may outlast it ("pending" is then no failure): the job it submitted must succeed.
        answer, _ = run(120)
        final = settled(answer["image_job"])
        assert answer["image"] in ("succeeded", "pending") and answer["image_job"], answer
        assert not answer["problems"] and final == "SUCCEEDED", (answer, final)
        # 8 s less the 5 s margin: not enough to follow the image job (nor, under load, to
        # check every golden record): the run stops in time, says so, and still returns
        answer, took = run(8)
        settled(answer["image_job"])
        assert took < 8 + 15, f"the canary ran {took:.0f} s with an 8 s timeout"
        out_of_time = any(p.startswith("out of time") for p in answer["problems"])
        assert out_of_time or answer["image"] in ("pending", "succeeded"), answer
    finally:  # the scheduled canary goes back to its deployed configuration
        env["CANARY_IMAGE_LINK"], env["CANARY_CALL_TIMEOUT_S"] = "", ""
        lam.update_function_configuration(
            FunctionName=name, Timeout=55, Environment={"Variables": env}
        )


def test_the_drift_check_runs_now_from_its_rule_and_reports_offline(
    api: Api, stack: dict[str, Any]
) -> None:
    """What the e2e run does for its report: predictions through the API land in PostgreSQL,
    then the hourly rule's own target task (the real drift check) runs now; its summary and
    self-contained HTML report come back from the artifacts bucket."""
    from atelier.deploy.drift import rule_name
    from atelier.monitor.drift_now import run_now

    golden = json.loads((REPO_ROOT / "validation_data/golden/structured_data.json").read_text())
    for case in golden["cases"][:40]:
        api.expect(200, "POST", "/structured_data", {"id": case["id"]})
    bucket = stack["outputs"]["buckets"]["artifacts"]
    done = run_now(stack["client"], rule_name(f"atelier-{ENV}-"), bucket, timeout=600)
    assert done.summary["current_rows"] >= 40 and 0.0 <= done.summary["share"] <= 1.0
    page = done.report_html.decode()
    assert "<svg" in page or "data:image" in page, "the report has no plot"
    assert not re.search(r"""(src|href)=["']?https?://""", page), "the report loads a URL"
