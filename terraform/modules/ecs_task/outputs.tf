output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "task_definition_arns" {
  description = "Pipeline => task definition ARN (with revision)."
  value       = { for n, td in aws_ecs_task_definition.this : n => td.arn }
}

output "repository_urls" {
  description = "Pipeline => ECR repository URL (CI pushes <url>:<git sha>)."
  value       = { for n, r in aws_ecr_repository.this : n => r.repository_url }
}

output "training_role_arns" {
  description = "Pipeline => ARN of its training task role (pipelines with a topology `training:` block)."
  value       = { for n, r in aws_iam_role.training : n => r.arn }
}

output "role_arns" {
  description = "Pipeline => its task and execution role ARNs (what a scheduler passes to ECS)."
  value       = { for n, r in aws_iam_role.task : n => [r.arn, aws_iam_role.execution[n].arn] }
}
