"""The drift schedule, applied by Terraform to the runtime, converges and fires.

A small root around ``terraform/modules/drift_schedule`` (the hourly rule of the structured
model's drift check), with its own cluster, task definition and roles, on a runtime whose clock
runs 600 times faster (an hour is six seconds): ``terraform apply`` creates the rule, its ECS
target and the events role; the second ``terraform plan`` is empty; the names are the ones
``atelier deploy`` uses (``atelier.deploy.drift``); the role may only RunTask that family in that
cluster and pass the task's two roles; and the runtime fires the rule, which runs the task with
the target's command override. Skips (saying why) without terraform or the provider mirror,
except under ``CI``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from atelier.deploy.drift import COMMAND, role_name, rule_name
from atelier.deploy.terraform import Workspace
from atelier_devtools.runtime import Runtime, start_runtime
from atelier_devtools.terraform_tools import require_terraform

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "555555555555"
PREFIX = "drifttf-"
MAIN_TF = """
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}

locals {
  ecs_trust = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_ecs_cluster" "this" {
  name = "drifttf"
}

resource "aws_iam_role" "task" {
  name               = "drifttf-task"
  assume_role_policy = local.ecs_trust
}

resource "aws_iam_role" "execution" {
  name               = "drifttf-exec"
  assume_role_policy = local.ecs_trust
}

resource "aws_cloudwatch_log_group" "this" {
  name = "/ecs/drifttf"
}

resource "aws_ecs_task_definition" "this" {
  family                   = "drifttf-structured_data"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "256"
  memory                   = "512"
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions = jsonencode([{
    name      = "main"
    image     = "atelier/exiter"
    essential = true
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.this.name
        "awslogs-region"        = "us-east-1"
        "awslogs-stream-prefix" = "ecs"
      }
    }
  }])
}

module "drift_schedule" {
  source              = "MODULE"
  name_prefix         = "PREFIX"
  cluster_arn         = aws_ecs_cluster.this.arn
  task_definition_arn = aws_ecs_task_definition.this.arn
  container_name      = "main"
  subnet_ids          = ["subnet-drifttf"]
  security_group_ids  = ["sg-drifttf"]
  pass_role_arns      = [aws_iam_role.task.arn, aws_iam_role.execution.arn]
  artifacts_bucket    = "drifttf-artifacts"
}

output "rule_name" {
  value = module.drift_schedule.rule_name
}

output "role_arn" {
  value = module.drift_schedule.role_arn
}
"""


@pytest.fixture(scope="module")
def hourly_in_seconds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = start_runtime(tmp_path_factory.mktemp("drift-tf"), env={"ATELIER_CLOCK_SPEED": "600"})
    try:
        yield rt
    finally:
        rt.stop()


def _client(runtime: Runtime, service: str) -> Any:
    return boto3.client(service, endpoint_url=runtime.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=ACCOUNT, aws_secret_access_key="test")  # fmt: skip


def test_the_drift_schedule_applies_converges_and_fires(
    hourly_in_seconds: Runtime, tmp_path: Path
) -> None:
    require_terraform()
    runtime, root = hourly_in_seconds, tmp_path / "root"
    root.mkdir()
    module = ROOT / "terraform" / "modules" / "drift_schedule"
    (root / "main.tf").write_text(MAIN_TF.replace("MODULE", str(module)).replace("PREFIX", PREFIX))
    ws = Workspace(root=root, endpoint_url=runtime.endpoint_url, state_dir=tmp_path / "state",
                   access_key=ACCOUNT)  # fmt: skip
    ws.init()
    ws.apply()
    code, _ = ws.plan()
    assert code == 0, f"the second plan is not empty: {ws.plan_diff()}"

    outputs = ws.outputs()
    assert outputs["rule_name"] == rule_name(PREFIX)  # the names `atelier deploy` uses
    assert outputs["role_arn"].endswith(f":role/{role_name(PREFIX)}")
    ev, iam, ecs = (_client(runtime, s) for s in ("events", "iam", "ecs"))
    rule = ev.describe_rule(Name=rule_name(PREFIX))
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(1 hour)", "ENABLED")
    (target,) = ev.list_targets_by_rule(Rule=rule_name(PREFIX))["Targets"]
    assert target["Id"] == "drift" and target["RoleArn"] == outputs["role_arn"]
    assert target["EcsParameters"]["LaunchType"] == "FARGATE"
    overrides = json.loads(target["Input"])["containerOverrides"][0]
    assert overrides["command"] == COMMAND and overrides["name"] == "main"

    trust = iam.get_role(RoleName=role_name(PREFIX))["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    doc = iam.get_role_policy(RoleName=role_name(PREFIX), PolicyName="run-drift-task")
    policy = doc["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    grants = {s["Sid"]: s for s in policy["Statement"]}
    assert grants["RunDriftTask"]["Action"] == ["ecs:RunTask"]
    assert grants["RunDriftTask"]["Resource"] == [
        target["EcsParameters"]["TaskDefinitionArn"].rsplit(":", 1)[0] + ":*"
    ]
    assert grants["PassTaskRoles"]["Action"] == ["iam:PassRole"]
    assert sorted(grants["PassTaskRoles"]["Resource"]) == sorted(
        iam.get_role(RoleName=n)["Role"]["Arn"] for n in ("drifttf-task", "drifttf-exec")
    )

    # an hour of the runtime's clock is six seconds: the rule fires and runs its task
    deadline = time.monotonic() + 60
    arns: list[str] = []
    while not arns and time.monotonic() < deadline:
        arns = ecs.list_tasks(cluster="drifttf", desiredStatus="STOPPED")["taskArns"]
        arns += ecs.list_tasks(cluster="drifttf")["taskArns"]
        time.sleep(0.5)
    assert arns, "the drift rule did not run its task within an hour of the runtime's clock"
    task = ecs.describe_tasks(cluster="drifttf", tasks=arns[:1])["tasks"][0]
    assert task["startedBy"] == "events-rule"
    assert task["overrides"]["containerOverrides"][0]["command"] == COMMAND
    ev.disable_rule(Name=rule_name(PREFIX))
    # and a change made behind Terraform's back is named, attribute by attribute
    drift = ws.plan_diff()
    assert drift == [
        'module.drift_schedule.aws_cloudwatch_event_rule.drift: state: "DISABLED" -> "ENABLED"'
    ], drift
