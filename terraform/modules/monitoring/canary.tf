data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  canary_name = substr("${var.name_prefix}api", 0, 21) # Synthetics allows 21 characters
}

resource "aws_iam_role" "canary" {
  count = var.enable_canary ? 1 : 0
  name  = "${var.name_prefix}canary"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "canary" {
  count = var.enable_canary ? 1 : 0
  name  = "canary"
  role  = aws_iam_role.canary[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Artifacts", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject"]
        Resource = ["arn:aws:s3:::${var.artifacts_bucket}/canary/*"]
      },
      {
        Sid      = "ArtifactsBucket", Effect = "Allow", Action = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::${var.artifacts_bucket}"]
      },
      {
        Sid      = "Logs", Effect = "Allow", Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/cwsyn-${local.canary_name}-*"]
      },
      {
        Sid       = "Metrics", Effect = "Allow", Action = ["cloudwatch:PutMetricData"], Resource = ["*"]
        Condition = { StringEquals = { "cloudwatch:namespace" = ["CloudWatchSynthetics", "Atelier/Canary"] } }
      },
      {
        Sid      = "MonitoringUser", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"]
        Resource = [var.canary_secret_arn == "" ? "arn:aws:secretsmanager:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:secret:none" : var.canary_secret_arn]
      },
      {
        Sid = "ArtifactsKey", Effect = "Allow", Action = ["kms:GenerateDataKey", "kms:Decrypt"], Resource = [var.kms_key_arn]
      },
    ]
  })
}

resource "aws_synthetics_canary" "api" {
  count                = var.enable_canary ? 1 : 0
  name                 = local.canary_name
  artifact_s3_location = "s3://${var.artifacts_bucket}/canary/"
  execution_role_arn   = aws_iam_role.canary[0].arn
  handler              = "api_canary.handler"
  runtime_version      = "syn-python-selenium-4.1"
  # CI's stored bundle (var.lambda_artifacts, as terraform/modules/lambda_code reads it) or the
  # local zip; no nested module: roots outside this repository use this module by path
  zip_file                 = var.lambda_artifacts == null ? var.canary_zip : null
  s3_bucket                = var.lambda_artifacts == null ? null : var.lambda_artifacts.bucket
  s3_key                   = var.lambda_artifacts == null ? null : var.lambda_artifacts.objects["canary"].key
  start_canary             = true
  success_retention_period = 7
  failure_retention_period = 30

  schedule {
    expression = "rate(1 minute)"
  }

  run_config {
    timeout_in_seconds = 55 # under the minute between runs; the image job is followed until 5 s before
    environment_variables = {
      API_URL           = var.api_url
      CANARY_SECRET_ARN = var.canary_secret_arn
      CANARY_IMAGE_LINK = var.canary_image_check ? "s3://${var.inputs_bucket}/${aws_s3_object.canary_image.key}" : ""
    }
  }

  artifact_config {
    s3_encryption {
      encryption_mode = "SSE_KMS"
      kms_key_arn     = var.kms_key_arn
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "canary" {
  count               = var.enable_canary ? 1 : 0
  alarm_name          = "${var.name_prefix}canary"
  namespace           = "CloudWatchSynthetics"
  metric_name         = "SuccessPercent"
  dimensions          = { CanaryName = aws_synthetics_canary.api[0].name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 1
  threshold           = 90
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

# The golden image the canary submits (atelier/deploy/canary.py uploads the same file, same key).
resource "aws_s3_object" "canary_image" {
  bucket       = var.inputs_bucket
  key          = "canary/golden-image.png"
  source       = "${path.module}/assets/canary-golden-image.png"
  source_hash  = filemd5("${path.module}/assets/canary-golden-image.png")
  content_type = "image/png"
  kms_key_id   = var.kms_key_arn
}
