# The hourly drift check: an EventBridge rule that runs the structured_data task definition with
# `python -m structured_data.drift_job` (atelier/deploy/drift.py creates the same rule, target
# and role under `atelier deploy`). The rule's role may start that task definition and pass its
# two roles, nothing else.

locals {
  family = split(":", element(split("/", var.task_definition_arn), 1))[0]
}

resource "aws_iam_role" "events" {
  name = "${var.name_prefix}drift-events"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "events.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "events" {
  name = "run-drift-task"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RunDriftTask", Effect = "Allow", Action = ["ecs:RunTask"]
        Resource  = [replace(var.task_definition_arn, "/:\\d+$/", ":*")]
        Condition = { ArnEquals = { "ecs:cluster" = var.cluster_arn } }
      },
      {
        Sid       = "PassTaskRoles", Effect = "Allow", Action = ["iam:PassRole"]
        Resource  = var.pass_role_arns
        Condition = { StringLike = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_cloudwatch_event_rule" "drift" {
  name                = "${var.name_prefix}drift-hourly"
  description         = "The structured model's hourly drift check (${local.family})"
  schedule_expression = var.schedule
  state               = "ENABLED"
}

resource "aws_cloudwatch_event_target" "drift" {
  rule      = aws_cloudwatch_event_rule.drift.name
  target_id = "drift"
  arn       = var.cluster_arn
  role_arn  = aws_iam_role.events.arn
  input = jsonencode({
    containerOverrides = [{
      name        = var.container_name
      command     = var.command
      environment = [{ name = "ARTIFACTS_BUCKET", value = var.artifacts_bucket }]
    }]
  })

  ecs_target {
    task_definition_arn = var.task_definition_arn
    task_count          = 1
    launch_type         = "FARGATE"
    network_configuration {
      subnets          = var.subnet_ids
      security_groups  = var.security_group_ids
      assign_public_ip = false
    }
  }
}
