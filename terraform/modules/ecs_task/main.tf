# The ECS cluster, one ECR repository and one task definition per pipeline (Fargate, or EC2 for
# gpu_task pipelines), each with its own task role (least privilege) and execution role.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_ecs_cluster" "this" {
  name = var.cluster
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecr_repository" "this" {
  for_each             = var.repositories
  name                 = each.value
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last 30 images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 30 }
      action       = { type = "expire" }
    }]
  })
}

locals {
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  arn = "arn:${data.aws_partition.current.partition}"
  environment = {
    for n, p in var.pipelines : n => merge(
      p.environment,
      { for k, ref in p.environment_refs : k => var.ref_values[ref] },
    )
  }
}

resource "aws_iam_role" "task" {
  for_each           = var.pipelines
  name               = each.value.task_role_name
  assume_role_policy = local.ecs_tasks_trust
}

resource "aws_iam_role_policy" "task" {
  for_each = var.pipelines
  name     = "least-privilege"
  role     = aws_iam_role.task[each.key].id
  policy   = var.task_policies[each.key]
}

# The training task's own role (`atelier registry train` passes it as RunTask's taskRoleArn
# override): it may write the models registry, which the serving role may only read.
resource "aws_iam_role" "training" {
  for_each           = { for n, p in var.pipelines : n => p if p.training_role_name != null }
  name               = each.value.training_role_name
  assume_role_policy = local.ecs_tasks_trust
}

resource "aws_iam_role_policy" "training" {
  for_each = aws_iam_role.training
  name     = "least-privilege"
  role     = each.value.id
  policy   = var.training_policies[each.key]
}

resource "aws_iam_role" "execution" {
  for_each           = var.pipelines
  name               = each.value.execution_role_name
  assume_role_policy = local.ecs_tasks_trust
}

# What ECS itself needs to start a task: pull its own image, write its own logs.
resource "aws_iam_role_policy" "execution" {
  for_each = var.pipelines
  name     = "task-execution"
  role     = aws_iam_role.execution[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "EcrLogin", Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = ["*"] },
      {
        Sid      = "PullOwnImage", Effect = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = [aws_ecr_repository.this[each.key].arn]
      },
      {
        Sid      = "OwnLogs", Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.arn}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:${var.log_groups[each.value.log_group]}:*"]
      },
      {
        Sid       = "DecryptImage", Effect = "Allow", Action = ["kms:Decrypt"], Resource = [var.kms_key_arn]
        Condition = { StringLike = { "kms:ViaService" = "ecr.${var.region}.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_ecs_task_definition" "this" {
  for_each                 = var.pipelines
  family                   = each.value.family
  requires_compatibilities = [each.value.kind == "gpu_task" ? "EC2" : "FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.cpu)
  memory                   = tostring(each.value.memory)
  task_role_arn            = aws_iam_role.task[each.key].arn
  execution_role_arn       = aws_iam_role.execution[each.key].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp" # the only writable path: the root filesystem is read-only
  }

  container_definitions = jsonencode([{
    name                   = each.value.container_name
    image                  = "${aws_ecr_repository.this[each.key].repository_url}:${lookup(var.image_tags, each.key, var.image_tag)}"
    essential              = true
    readonlyRootFilesystem = true
    environment            = [for k in sort(keys(local.environment[each.key])) : { name = k, value = local.environment[each.key][k] }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    portMappings           = each.value.port == null ? [] : [{ containerPort = each.value.port, protocol = "tcp" }]
    resourceRequirements   = each.value.gpu > 0 ? [{ type = "GPU", value = tostring(each.value.gpu) }] : []
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_groups[each.value.log_group]
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}
