output "capacity_provider" {
  description = "ECS capacity provider name for GPU tasks (RunTask capacityProviderStrategy)."
  value       = aws_ecs_capacity_provider.this.name
}

output "auto_scaling_group" {
  description = "Name of the GPU auto scaling group (min 0)."
  value       = aws_autoscaling_group.this.name
}
