output "log_groups" {
  description = "Log group name => name (consumers reference it so groups exist before anything logs)."
  value       = { for n, g in aws_cloudwatch_log_group.this : n => g.name }
}

output "alerts_topic_arn" {
  description = "ARN of the SNS alert topic."
  value       = aws_sns_topic.alerts.arn
}

output "canary_name" {
  description = "Name of the API canary, or null when disabled."
  value       = var.enable_canary ? aws_synthetics_canary.api[0].name : null
}
