"""The hourly drift check: an EventBridge rule running the structured_data task definition with
``python -m structured_data.drift_job`` (the runtime runs ECS targets of rules), and the role the
rule assumes (``ecs:RunTask`` of that family, ``iam:PassRole`` of its two roles). Terraform's
``modules/drift_schedule`` creates the same rule, target and role, with the same names."""

from __future__ import annotations

import json
from dataclasses import replace

from botocore.exceptions import ClientError

from atelier.deploy import iam
from atelier.deploy.change import Change, absent, created, deleted, unchanged
from atelier.deploy.clients import Clients, is_not_found

SCHEDULE = "rate(1 hour)"
COMMAND = ["python", "-m", "structured_data.drift_job"]


def rule_name(prefix: str) -> str:
    return f"{prefix}drift-hourly"


def role_name(prefix: str) -> str:
    return f"{prefix}drift-events"


def role_policy(cluster_arn: str, task_definition_arn: str, pass_roles: list[str]) -> iam.Document:
    """What the rule's role may do: start the family's revisions in the cluster, pass its roles."""
    family_any = task_definition_arn.rsplit(":", 1)[0] + ":*"
    run = iam.statement(["ecs:RunTask"], [family_any], "RunDriftTask")
    run["Condition"] = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    pass_ = iam.statement(["iam:PassRole"], pass_roles, "PassTaskRoles")
    pass_["Condition"] = {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    return iam.policy(run, pass_)


def ensure(
    clients: Clients,
    prefix: str,
    cluster: str,
    task_definition_arn: str,
    container: str,
    network: tuple[list[str], list[str]],
    pass_roles: list[str],
    artifacts_bucket: str,
    tags: dict[str, str] | None = None,
) -> list[Change]:
    events, name = clients("events"), rule_name(prefix)
    try:
        before = events.describe_rule(Name=name).get("ScheduleExpression")
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        before = None
    cluster_arn = clients("ecs").describe_clusters(clusters=[cluster])["clusters"][0]["clusterArn"]
    policies = {"run-drift-task": role_policy(cluster_arn, task_definition_arn, pass_roles)}
    role = iam.ensure_role(clients, role_name(prefix), "events.amazonaws.com", policies, tags)
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
                "RoleArn": role.arn,
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
    return [
        replace(role.change, kind="drift.role"),
        (unchanged if before == SCHEDULE else created)("drift.schedule", name),
    ]


def remove(clients: Clients, prefix: str) -> list[Change]:
    events, name = clients("events"), rule_name(prefix)
    try:
        events.describe_rule(Name=name)
    except ClientError as exc:
        if not is_not_found(exc):
            raise
        gone = absent("drift.schedule", name)
    else:
        events.remove_targets(Rule=name, Ids=["drift"])
        events.delete_rule(Name=name)
        gone = deleted("drift.schedule", name)
    return [gone, replace(iam.remove_role(clients, role_name(prefix)), kind="drift.role")]
