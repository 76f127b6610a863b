"""The hourly drift check: an EventBridge rule running the structured_data task definition with
``python -m structured_data.drift_job`` (the runtime runs ECS targets of rules)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from atelier.deploy.change import Change, absent, created, deleted, unchanged
from atelier.deploy.clients import Clients, is_not_found

SCHEDULE = "rate(1 hour)"
COMMAND = ["python", "-m", "structured_data.drift_job"]


def rule_name(prefix: str) -> str:
    return f"{prefix}drift-hourly"


def ensure(
    clients: Clients,
    prefix: str,
    cluster: str,
    task_definition_arn: str,
    container: str,
    network: tuple[list[str], list[str]],
    role_arn: str,
    artifacts_bucket: str,
) -> list[Change]:
    events, name = clients("events"), rule_name(prefix)
    try:
        before = events.describe_rule(Name=name).get("ScheduleExpression")
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        before = None
    cluster_arn = clients("ecs").describe_clusters(clusters=[cluster])["clusters"][0]["clusterArn"]
    events.put_rule(Name=name, ScheduleExpression=SCHEDULE, State="ENABLED")
    overrides = {
        "containerOverrides": [
            {
                "name": container,
                "command": COMMAND,
                "environment": [{"name": "ARTIFACTS_BUCKET", "value": artifacts_bucket}],
            }
        ]
    }
    subnets, groups = network
    events.put_targets(
        Rule=name,
        Targets=[
            {
                "Id": "drift",
                "Arn": cluster_arn,
                "RoleArn": role_arn,
                "EcsParameters": {
                    "TaskDefinitionArn": task_definition_arn,
                    "TaskCount": 1,
                    "LaunchType": "FARGATE",
                    "NetworkConfiguration": {
                        "awsvpcConfiguration": {"Subnets": subnets, "SecurityGroups": groups}
                    },
                },
                "Input": json.dumps(overrides),
            }
        ],
    )
    return [(unchanged if before == SCHEDULE else created)("drift.schedule", name)]


def remove(clients: Clients, prefix: str) -> list[Change]:
    events, name = clients("events"), rule_name(prefix)
    try:
        events.describe_rule(Name=name)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        return [absent("drift.schedule", name)]
    events.remove_targets(Rule=name, Ids=["drift"])
    events.delete_rule(Name=name)
    return [deleted("drift.schedule", name)]
