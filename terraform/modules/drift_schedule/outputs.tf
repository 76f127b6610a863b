output "rule_name" {
  description = "Name of the hourly EventBridge rule (`aws events` can trigger it on demand)."
  value       = aws_cloudwatch_event_rule.drift.name
}

output "role_arn" {
  description = "ARN of the role EventBridge assumes to run the drift task."
  value       = aws_iam_role.events.arn
}
