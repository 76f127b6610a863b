"""The runtime's meter counts what really ran: S3, DynamoDB, Lambda, logs, alarms, tasks."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any

import pytest
from click.testing import CliRunner

from atelier.cost.cli import cost

pytestmark = pytest.mark.integration


def _meter(runtime: Any, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        runtime.endpoint_url + "/_atelier/meter",
        data=body,
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", source)
    return buf.getvalue()


def test_the_meter_counts_requests_bytes_units_invocations_and_alarms(runtime: Any) -> None:
    status, _ = _meter(runtime, b'{"reset": true}')
    assert status == 200
    s3 = runtime.client("s3")
    s3.create_bucket(Bucket="meter-bucket")
    s3.put_object(Bucket="meter-bucket", Key="k", Body=b"x" * 5000)
    s3.get_object(Bucket="meter-bucket", Key="k")["Body"].read()
    ddb = runtime.client("dynamodb")
    ddb.create_table(
        TableName="meter-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="meter-table", Item={"id": {"S": "1"}})
    ddb.get_item(TableName="meter-table", Key={"id": {"S": "1"}})
    lam = runtime.client("lambda")
    lam.create_function(
        FunctionName="meter-fn",
        Runtime="python3.11",
        Handler="handler.handler",
        MemorySize=256,
        Role=runtime.role("meter-fn"),
        Code={
            "ZipFile": _zip(
                "def handler(event, context):\n    print('hello ' * 50)\n    return 1\n"
            )
        },
    )
    runtime.client("lambda").get_waiter("function_active_v2").wait(FunctionName="meter-fn")
    for _ in range(3):
        lam.invoke(FunctionName="meter-fn", Payload=b"{}")
    runtime.client("cloudwatch").put_metric_alarm(
        AlarmName="meter-alarm",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    status, snap = _meter(runtime)
    assert status == 200
    c = snap["counters"]
    assert c["s3.puts"] >= 2 and c["s3.gets"] >= 1  # CreateBucket + PutObject, GetObject
    assert c["s3.bytes_in"] >= 5000
    assert c["dynamodb.writes"] >= 1 and c["dynamodb.reads"] >= 1
    fn = snap["lambda"]["meter-fn"]
    assert fn["invocations"] == 3 and fn["memory_mb"] == 256 and fn["duration_ms"] > 0
    assert c["logs.bytes"] >= 3 * 300  # the handler's lines and START/END/REPORT
    assert "meter-alarm" in snap["alarms"]


def test_bad_meter_settings_are_a_clear_400(runtime: Any) -> None:
    status, body = _meter(runtime, b"[1, 2]")
    assert status == 400 and "bad meter settings" in body["error"]
    status, body = _meter(runtime, b'{"clock": "fast"}')
    assert status == 400 and "Traceback" not in json.dumps(body)


def test_atelier_cost_metered_prices_the_runtime(runtime: Any) -> None:
    result = CliRunner().invoke(
        cost,
        ["--env", "local", "--metered", "--endpoint", runtime.endpoint_url, "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["metered"]["span_hours"] > 0
    # the metered invocations are priced (the quantity, not the cents: a short span of a few
    # invocations can round to 0.00 USD)
    lam = [line for line in data["lines"] if line["service"] == "Lambda"]
    assert lam and any(line["quantity"] > 0 for line in lam), data["lines"]


def test_a_metered_cost_over_the_budget_alerts_the_alert_topic(runtime: Any) -> None:
    sns, sqs = runtime.client("sns"), runtime.client("sqs")
    topic = sns.create_topic(Name="atelier-local-alerts")["TopicArn"]
    queue = runtime.queue_for_topic(topic, "meter-alerts")
    args = ["--env", "local", "--metered", "--endpoint", runtime.endpoint_url, "--format", "json"]
    quiet = CliRunner().invoke(cost, [*args, "--budget-usd", "1000000"])
    assert quiet.exit_code == 0 and json.loads(quiet.output)["metered"]["alerts_published"] == 0
    loud = CliRunner().invoke(cost, [*args, "--budget-usd", "0.0000001"])
    assert loud.exit_code == 0, loud.output
    assert json.loads(loud.output)["metered"]["alerts_published"] == 4  # 3 ACTUAL + 1 FORECASTED
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]
    kinds = {json.loads(json.loads(m["Body"])["Message"])["notificationType"] for m in got}
    assert kinds == {"ACTUAL", "FORECASTED"}
