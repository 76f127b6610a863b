# Log groups (retention, KMS), the JobsFailed metric filter, the topology's alarms, the SNS
# alert topic and a Synthetics canary that calls the API every minute.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days in topology.yaml (7 to 90 days): operational logs, not an audit trail
  for_each          = toset(var.log_group_names)
  name              = each.key
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Pipelines log one JSON line per job transition (ml_common.joblog); a FAILED job counts once.
resource "aws_cloudwatch_log_metric_filter" "jobs_failed" {
  for_each       = toset(var.task_log_groups)
  name           = "jobs-failed"
  log_group_name = aws_cloudwatch_log_group.this[each.key].name
  pattern        = "{ ($.event = \"job_transition\") && ($.status = \"FAILED\") }"
  metric_transformation {
    name          = "JobsFailed"
    namespace     = "Atelier"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_sns_topic" "alerts" {
  name              = var.alerts_topic
  kms_master_key_id = var.kms_key_arn
}

# CloudWatch alarms and AWS Budgets of this account may publish; nobody else.
resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountServicesPublish"
      Effect    = "Allow"
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.alerts.arn
      Principal = { Service = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] }
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_sns_topic_subscription" "webhook" {
  for_each  = toset(var.alert_webhooks)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "https"
  endpoint  = each.key
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_emails)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.key
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = var.alarms
  alarm_name          = each.value.name
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  alarm_description   = each.value.description
  statistic           = startswith(each.value.statistic, "p") ? null : each.value.statistic
  extended_statistic  = startswith(each.value.statistic, "p") ? each.value.statistic : null
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.treat_missing_data
  dimensions          = merge(lookup(var.dimensions, each.value.namespace, {}), each.value.dimensions)
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

# Saved Logs Insights queries; `atelier logs query <name>` runs the same files on the runtime.
resource "aws_cloudwatch_query_definition" "this" {
  for_each        = fileset("${path.module}/queries", "*.logsinsights")
  name            = "${var.alerts_topic}/${trimsuffix(each.key, ".logsinsights")}"
  log_group_names = var.log_group_names
  query_string    = file("${path.module}/queries/${each.key}")
}
