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

output "load_balancers" {
  description = "Service => its internal ALB's ARN and DNS name and its target group's ARN."
  value = {
    for n, lb in aws_lb.this : n => {
      arn              = lb.arn
      dns_name         = lb.dns_name
      target_group_arn = aws_lb_target_group.this[n].arn
    }
  }
}
