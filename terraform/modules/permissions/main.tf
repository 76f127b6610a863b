# The same least-privilege documents as platform/atelier/deploy/policies.py: each role gets only
# the actions its topology `access` block names, on the exact resources named.

locals {
  arn = "arn:${var.partition}"

  table_read   = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query"]
  table_write  = concat(local.table_read, ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
  object_read  = ["s3:GetObject", "s3:GetObjectVersion"]
  object_write = concat(local.object_read, ["s3:AbortMultipartUpload", "s3:PutObject"])
  vpc_eni = [
    "ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses",
  ]

  table_arn  = "${local.arn}:dynamodb:${var.region}:${var.account_id}:table/"
  secret_arn = "${local.arn}:secretsmanager:${var.region}:${var.account_id}:secret:"
  ecs_arn    = "${local.arn}:ecs:${var.region}:${var.account_id}"

  # Every candidate statement with whether the role needs it; each is JSON-encoded so that
  # statements of different shapes can share one list.
  candidates = {
    for key, r in var.roles : key => [
      { keep = true, doc = jsonencode({
        Sid      = "OwnLogs", Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.arn}:logs:${var.region}:${var.account_id}:log-group:${r.log_group}:*"]
      }) },
      { keep = length(r.permissions.tables_read) > 0, doc = jsonencode({
        Sid      = "TablesRead", Effect = "Allow", Action = local.table_read
        Resource = flatten([for t in r.permissions.tables_read : ["${local.table_arn}${t}", "${local.table_arn}${t}/index/*"]])
      }) },
      { keep = length(r.permissions.tables_write) > 0, doc = jsonencode({
        Sid      = "TablesWrite", Effect = "Allow", Action = local.table_write
        Resource = flatten([for t in r.permissions.tables_write : ["${local.table_arn}${t}", "${local.table_arn}${t}/index/*"]])
      }) },
      { keep = length(concat(r.permissions.buckets_read, r.permissions.buckets_write)) > 0, doc = jsonencode({
        Sid      = "BucketsList", Effect = "Allow", Action = ["s3:ListBucket"]
        Resource = [for b in sort(distinct(concat(r.permissions.buckets_read, r.permissions.buckets_write))) : "${local.arn}:s3:::${b}"]
      }) },
      { keep = length(r.permissions.buckets_read) > 0, doc = jsonencode({
        Sid      = "ObjectsRead", Effect = "Allow", Action = local.object_read
        Resource = [for b in r.permissions.buckets_read : "${local.arn}:s3:::${b}/*"]
      }) },
      { keep = length(r.permissions.buckets_write) > 0, doc = jsonencode({
        Sid      = "ObjectsWrite", Effect = "Allow", Action = local.object_write
        Resource = [for b in r.permissions.buckets_write : "${local.arn}:s3:::${b}/*"]
      }) },
      # `prefixes`: list and read one key prefix of a bucket only.
      { keep = length(r.permissions.prefixes_read) > 0, doc = jsonencode({
        Sid       = "PrefixesList", Effect = "Allow", Action = ["s3:ListBucket"]
        Resource  = sort(distinct([for bp in r.permissions.prefixes_read : "${local.arn}:s3:::${split("/", bp)[0]}"]))
        Condition = { StringLike = { "s3:prefix" = sort([for bp in r.permissions.prefixes_read : "${join("/", slice(split("/", bp), 1, length(split("/", bp))))}*"]) } }
      }) },
      { keep = length(r.permissions.prefixes_read) > 0, doc = jsonencode({
        Sid      = "PrefixesRead", Effect = "Allow", Action = local.object_read
        Resource = [for bp in r.permissions.prefixes_read : "${local.arn}:s3:::${bp}*"]
      }) },
      # `write_prefixes`: put objects under one key prefix of a bucket only.
      { keep = length(r.permissions.prefixes_write) > 0, doc = jsonencode({
        Sid      = "PrefixesWrite", Effect = "Allow", Action = ["s3:PutObject"]
        Resource = [for bp in r.permissions.prefixes_write : "${local.arn}:s3:::${bp}*"]
      }) },
      # `metrics`: PutMetricData names no resource (the runtime's IAM does not resolve the
      # cloudwatch:namespace condition key yet, so the grant is not narrowed by it).
      { keep = length(r.permissions.metrics_write) > 0, doc = jsonencode({
        Sid = "MetricsWrite", Effect = "Allow", Action = ["cloudwatch:PutMetricData"], Resource = ["*"]
      }) },
      # `alarms: read`: DescribeAlarms by name prefix is authorized against "*" (it names no
      # alarm) and metric reads have no resource-level form; read-only.
      { keep = length(r.permissions.alarms_read) > 0, doc = jsonencode({
        Sid      = "MonitoringRead", Effect = "Allow"
        Action   = ["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"]
        Resource = ["*"]
      }) },
      { keep = length(r.permissions.secrets) > 0, doc = jsonencode({
        Sid      = "Secrets", Effect = "Allow"
        Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
        Resource = [for s in r.permissions.secrets : "${local.secret_arn}${s}-??????"]
      }) },
      # SSE-KMS on tables, buckets (a prefix read or write too) and secrets: the data key,
      # through those services only.
      { keep = length(concat(r.permissions.tables_read, r.permissions.tables_write, r.permissions.buckets_read, r.permissions.buckets_write, r.permissions.prefixes_read, r.permissions.prefixes_write, r.permissions.secrets)) > 0, doc = jsonencode({
        Sid      = "DataKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.kms_key_arn]
        Condition = { StringLike = { "kms:ViaService" = [
          "dynamodb.${var.region}.amazonaws.com", "s3.${var.region}.amazonaws.com",
          "secretsmanager.${var.region}.amazonaws.com",
        ] } }
      }) },
      { keep = r.in_vpc, doc = jsonencode({
        Sid = "VpcNetworkInterfaces", Effect = "Allow", Action = local.vpc_eni, Resource = ["*"]
      }) },
      { keep = length(r.permissions.run_tasks) > 0, doc = jsonencode({
        Sid       = "RunOwnTasks", Effect = "Allow", Action = ["ecs:RunTask"]
        Resource  = [for f in r.permissions.run_tasks : "${local.ecs_arn}:task-definition/${f}:*"]
        Condition = { ArnEquals = { "ecs:cluster" = "${local.ecs_arn}:cluster/${var.cluster}" } }
      }) },
      { keep = length(r.permissions.tasks_read) > 0, doc = jsonencode({
        Sid      = "DescribeOwnTasks", Effect = "Allow", Action = ["ecs:DescribeTasks"]
        Resource = [for c in r.permissions.tasks_read : "${local.ecs_arn}:task/${c}/*"]
      }) },
      { keep = length(r.permissions.run_tasks) > 0, doc = jsonencode({
        Sid = "PassTaskRoles", Effect = "Allow", Action = ["iam:PassRole"]
        Resource = flatten([
          for f in r.permissions.run_tasks : [
            "${local.arn}:iam::${var.account_id}:role/${f}-task",
            "${local.arn}:iam::${var.account_id}:role/${f}-exec",
          ]
        ])
        Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
      }) },
    ]
  }
  statements = { for key, c in local.candidates : key => [for s in c : s.doc if s.keep] }
}
