"""CloudWatch, Logs, SNS and EventBridge behaviour of a runtime on a simulated clock
(``ATELIER_CLOCK_SPEED=60``: one minute per second): alarms evaluated on the clock with
history and actions, metric filters and EMF turning log events into datapoints, e-mail to the
mailbox, AWS's errors for bad alarms and filter patterns."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from atelier_devtools.runtime import Runtime, start_runtime

pytestmark = pytest.mark.integration
SPEED = 60.0


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = start_runtime(tmp_path_factory.mktemp("ops-home"), env={"ATELIER_CLOCK_SPEED": str(SPEED)})
    try:
        yield rt
    finally:
        rt.stop()


def _until(pred: Callable[[], Any], timeout: float = 20.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"not true within {timeout} s: {pred}")


def _state(cw: Any, name: str) -> str:
    return str(cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


def _topic_with_mail_and_queue(rt: Runtime, name: str) -> tuple[str, str]:
    sns = rt.client("sns")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    queue = rt.queue_for_topic(topic, f"{name}-q")
    return topic, queue


def test_bad_alarm_definitions_get_aws_errors(fast: Runtime) -> None:
    cw = fast.client("cloudwatch")
    base = dict(
        AlarmName="bad",
        Namespace="N",
        MetricName="M",
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    with pytest.raises(ClientError) as stat:
        cw.put_metric_alarm(**base, Statistic="Median", Period=60)
    assert stat.value.response["Error"]["Code"] == "ValidationError"
    assert "enum value set" in stat.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as period:
        cw.put_metric_alarm(**base, Statistic="Sum", Period=45)
    assert period.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as ext:
        cw.put_metric_alarm(**base, ExtendedStatistic="p150", Period=60)
    assert ext.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert cw.describe_alarms(AlarmNames=["bad"])["MetricAlarms"] == []


def test_unparseable_filter_pattern_is_refused(fast: Runtime) -> None:
    logs = fast.client("logs")
    logs.create_log_group(logGroupName="/bad/patterns")
    with pytest.raises(ClientError) as err:
        logs.put_metric_filter(
            logGroupName="/bad/patterns",
            filterName="f",
            filterPattern='{ $.status = "FAILED" ',
            metricTransformations=[{"metricName": "X", "metricNamespace": "N", "metricValue": "1"}],
        )
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


def test_metric_filter_alarm_history_actions_and_recovery(fast: Runtime) -> None:
    logs, cw, sqs = fast.client("logs"), fast.client("cloudwatch"), fast.client("sqs")
    topic, queue = _topic_with_mail_and_queue(fast, "ops-alerts")
    group = "/ecs/atelier-local-images"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_metric_filter(
        logGroupName=group,
        filterName="jobs-failed",
        filterPattern='{ $.status = "FAILED" }',
        metricTransformations=[
            {"metricName": "JobsFailed", "metricNamespace": "Atelier/Test", "metricValue": "1"}
        ],
    )
    cw.put_metric_alarm(
        AlarmName="jobs-failed",
        Namespace="Atelier/Test",
        MetricName="JobsFailed",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    _until(lambda: _state(cw, "jobs-failed") == "OK")  # no data, notBreaching
    line = {
        "event": "job_transition",
        "job_id": "j1",
        "pipeline": "images",
        "status": "FAILED",
        "duration_s": 2.0,
        "error_class": "RuntimeError",
    }
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": json.dumps(line)}],
    )
    _until(lambda: _state(cw, "jobs-failed") == "ALARM", timeout=10)
    # a minute later (one real second) the period without failures brings it back
    _until(lambda: _state(cw, "jobs-failed") == "OK", timeout=10)
    items = cw.describe_alarm_history(AlarmName="jobs-failed", HistoryItemType="StateUpdate")[
        "AlarmHistoryItems"
    ]
    summaries = [i["HistorySummary"] for i in items]
    assert any("OK to ALARM" in s for s in summaries) and any("ALARM to OK" in s for s in summaries)
    messages = _until(
        lambda: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages"
        )
    )
    body = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert body["AlarmName"] == "jobs-failed" and body["NewStateValue"] in ("ALARM", "OK")
    mailbox = Path(fast.home) / "mailbox" / "mail.jsonl"
    mails = _until(
        lambda: mailbox.exists() and [json.loads(x) for x in mailbox.read_text().splitlines()]
    )
    assert mails[0]["to"] == "oncall@example.com" and "jobs-failed" in mails[0]["subject"]


def test_emf_datapoints_drive_a_p99_alarm(fast: Runtime) -> None:
    logs, cw = fast.client("logs"), fast.client("cloudwatch")
    group = "/aws/lambda/emf-test"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    cw.put_metric_alarm(
        AlarmName="p99",
        Namespace="Atelier/Api",
        MetricName="Latency",
        ExtendedStatistic="p99",
        Dimensions=[{"Name": "Route", "Value": "/structured_data"}],
        Period=60,
        EvaluationPeriods=1,
        Threshold=1000.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="missing",
    )
    doc = {
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "Atelier/Api",
                    "Dimensions": [["Route"]],
                    "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}],
                }
            ]
        },
        "Route": "/structured_data",
        "Latency": [20] * 95 + [4000] * 5,
    }
    now_ms = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now_ms, "message": json.dumps(doc)}],
    )
    _until(lambda: _state(cw, "p99") == "ALARM", timeout=10)
    stats = cw.get_metric_statistics(
        Namespace="Atelier/Api",
        MetricName="Latency",
        Dimensions=[{"Name": "Route", "Value": "/structured_data"}],
        StartTime=time.time() - 7200 * SPEED,
        EndTime=time.time() + 7200 * SPEED,
        Period=60,
        Statistics=["SampleCount"],
    )
    assert sum(d["SampleCount"] for d in stats["Datapoints"]) == 100


def test_atelier_alerts_shows_states_mail_and_silences(fast: Runtime) -> None:
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    cw = fast.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="cli-visible",
        Namespace="N",
        MetricName="M",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="breaching",
    )
    _until(lambda: _state(cw, "cli-visible") == "ALARM", timeout=10)
    env = {
        **os.environ,
        "ATELIER_HOME": str(fast.home),
        "ATELIER_PORT": str(urlsplit(fast.endpoint_url).port),
    }
    cli = [sys.executable, "-m", "atelier.cli", "alerts"]
    out = subprocess.run(
        [*cli, "--json", "--silence", "cli-visible"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    doc = json.loads(out)
    row = next(r for r in doc["alarms"] if r["name"] == "cli-visible")
    assert row["state"] == "ALARM" and row["actions"] is False
    assert (
        cw.describe_alarms(AlarmNames=["cli-visible"])["MetricAlarms"][0]["ActionsEnabled"] is False
    )
    table = subprocess.run(
        cli, env=env, check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert "cli-visible" in table and "silenced" in table


def test_schedule_runs_an_ecs_task_with_overrides(fast: Runtime) -> None:
    """EventBridge User Guide, ECS task targets: the rule's schedule runs the task definition
    with the target's container overrides (MiniStack alone logs "unsupported target type")."""
    ecs, events, logs = fast.client("ecs"), fast.client("events"), fast.client("logs")
    logs.create_log_group(logGroupName="/ecs/sched")
    cluster = ecs.create_cluster(clusterName="sched")["cluster"]["clusterArn"]
    td = ecs.register_task_definition(
        family="sched-exiter",
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        requiresCompatibilities=["FARGATE"],
        containerDefinitions=[
            {
                "name": "main",
                "image": "atelier/exiter",
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/sched",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    overrides = {
        "containerOverrides": [
            {"name": "main", "environment": [{"name": "GREETING", "value": "from the schedule"}]}
        ]
    }
    events.put_rule(Name="every-minute-task", ScheduleExpression="rate(1 minute)")
    events.put_targets(
        Rule="every-minute-task",
        Targets=[
            {
                "Id": "t",
                "Arn": cluster,
                "RoleArn": "arn:aws:iam::000000000000:role/events",
                "EcsParameters": {"TaskDefinitionArn": td, "TaskCount": 1, "LaunchType": "FARGATE"},
                "Input": json.dumps(overrides),
            }
        ],
    )

    def started() -> list[str]:
        arns: list[str] = ecs.list_tasks(cluster="sched", desiredStatus="STOPPED")["taskArns"]
        arns += ecs.list_tasks(cluster="sched")["taskArns"]
        return arns

    arns = _until(started, timeout=30)  # a clock minute is one real second here
    task = ecs.describe_tasks(cluster="sched", tasks=arns[:1])["tasks"][0]
    assert task["startedBy"] == "events-rule"

    def greeted() -> bool:
        found = logs.filter_log_events(
            logGroupName="/ecs/sched", filterPattern='"from the schedule"'
        )
        return bool(found["events"])

    _until(greeted, timeout=30)
    events.remove_targets(Rule="every-minute-task", Ids=["t"])


def test_logs_insights_saved_query_on_the_runtime(fast: Runtime) -> None:
    """StartQuery runs stats ... by, parse and JSON fields on the runtime; a malformed query
    gets MalformedQueryException; ``atelier logs query`` runs the saved query files."""
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    logs = fast.client("logs")
    logs.create_log_group(logGroupName="/ecs/insights")
    logs.create_log_stream(logGroupName="/ecs/insights", logStreamName="s")
    now = int(time.time() * 1000)
    lines = [
        {
            "event": "job_transition",
            "job_id": f"j{i}",
            "pipeline": "images",
            "status": "FAILED",
            "error_class": "OSError" if i else "ValueError",
        }
        for i in range(3)
    ]
    logs.put_log_events(
        logGroupName="/ecs/insights",
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": json.dumps(x)} for x in lines],
    )
    with pytest.raises(ClientError) as bad:
        logs.start_query(
            logGroupName="/ecs/insights",
            startTime=0,
            endTime=int(time.time()) + 60,
            queryString="frobnicate everything",
        )
    assert bad.value.response["Error"]["Code"] == "MalformedQueryException"
    env = {
        **os.environ,
        "ATELIER_HOME": str(fast.home),
        "ATELIER_PORT": str(urlsplit(fast.endpoint_url).port),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "atelier.cli",
            "logs",
            "query",
            "failures_by_cause",
            "--group",
            "/ecs/insights",
            "--since",
            "7d",
            "--json",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    rows = {(r["error_class"], r["failures"]) for r in json.loads(out)}
    assert rows == {("OSError", "2"), ("ValueError", "1")}
