"""``atelier.monitor.drift_now.run_now`` on the runtime: the drift rule's ECS target run now,
with the target's own task definition and overrides; a non-zero exit and a rule without an ECS
target are errors that say so. (The task here is a small test image; the e2e run does it with
the real drift check and puts its report in the e2e report.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from atelier.monitor.drift_now import DriftRunError, run_now
from atelier_devtools.runtime import Runtime

pytestmark = pytest.mark.integration


def _rule(runtime: Runtime, name: str, exit_code: str) -> None:
    ecs, events, logs = (runtime.client(s) for s in ("ecs", "events", "logs"))
    logs.create_log_group(logGroupName=f"/ecs/{name}")
    cluster = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    td = ecs.register_task_definition(
        family=f"{name}-exiter",
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        requiresCompatibilities=["FARGATE"],
        containerDefinitions=[{
            "name": "main", "image": "atelier/exiter", "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": f"/ecs/{name}", "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "ecs"}},
        }],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    overrides = {"containerOverrides": [{"name": "main", "environment": [
        {"name": "EXIT_CODE", "value": exit_code}, {"name": "GREETING", "value": "drift now"}]}]}  # fmt: skip
    events.put_rule(Name=name, ScheduleExpression="rate(1 day)")  # never due during the test
    events.put_targets(Rule=name, Targets=[{
        "Id": "drift", "Arn": cluster, "RoleArn": runtime.role(f"{name}-events", "events.amazonaws.com"),
        "EcsParameters": {"TaskDefinitionArn": td, "TaskCount": 1, "LaunchType": "FARGATE"},
        "Input": json.dumps(overrides)}])  # fmt: skip


def _cleanup(runtime: Runtime, name: str) -> None:
    events = runtime.client("events")
    events.remove_targets(Rule=name, Ids=["drift"])
    events.delete_rule(Name=name)


def test_the_rule_task_runs_now_and_its_report_is_returned(runtime: Runtime) -> None:
    s3: Any = runtime.client("s3")
    s3.create_bucket(Bucket="driftnow-artifacts")
    summary = {"share": 0.25, "drifted": ["radius_mean"], "current_rows": 40,
               "report_key": "drift/2026-12-01T000000Z/index.html"}  # fmt: skip
    s3.put_object(Bucket="driftnow-artifacts", Key="drift/latest.json", Body=json.dumps(summary))
    s3.put_object(Bucket="driftnow-artifacts", Key=summary["report_key"], Body=b"<html>r</html>")
    _rule(runtime, "driftnow-ok", "0")
    try:
        done = run_now(runtime.client, "driftnow-ok", "driftnow-artifacts", timeout=120, poll=0.5)
    finally:
        _cleanup(runtime, "driftnow-ok")
    assert done.exit_code == 0 and done.summary == summary and done.report_html == b"<html>r</html>"
    task = runtime.client("ecs").describe_tasks(cluster="driftnow-ok", tasks=[done.task_arn])
    ran = task["tasks"][0]
    assert ran["startedBy"] == "drift-on-demand"
    env = ran["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "GREETING", "value": "drift now"} in env  # the target's own overrides


def test_a_failing_task_and_a_rule_without_an_ecs_target_are_named(runtime: Runtime) -> None:
    _rule(runtime, "driftnow-ko", "3")
    try:
        with pytest.raises(DriftRunError, match="stopped with exit code 3"):
            run_now(runtime.client, "driftnow-ko", "no-bucket", timeout=120, poll=0.5)
    finally:
        _cleanup(runtime, "driftnow-ko")
    events = runtime.client("events")
    events.put_rule(Name="driftnow-none", ScheduleExpression="rate(1 day)")
    try:
        with pytest.raises(DriftRunError, match="has no ECS task target"):
            run_now(runtime.client, "driftnow-none", "no-bucket")
    finally:
        events.delete_rule(Name="driftnow-none")
