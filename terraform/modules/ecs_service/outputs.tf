output "service_urls" {
  description = "Service => base URL of its internal ALB (SERVICE_URL for the lambdas)."
  value       = { for n, lb in aws_lb.this : n => "http://${lb.dns_name}" }
}

output "alb_arn_suffixes" {
  description = "Service => ALB ARN suffix (CloudWatch LoadBalancer dimension)."
  value       = { for n, lb in aws_lb.this : n => lb.arn_suffix }
}

output "target_group_arn_suffixes" {
  description = "Service => target group ARN suffix (CloudWatch TargetGroup dimension)."
  value       = { for n, tg in aws_lb_target_group.this : n => tg.arn_suffix }
}

output "service_names" {
  description = "Service => ECS service name."
  value       = { for n, s in aws_ecs_service.this : n => s.name }
}
