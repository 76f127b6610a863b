output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Private subnet ids, sorted by subnet name (ECS, RDS and lambdas in the VPC)."
  value       = [for name in sort(keys(aws_subnet.private)) : aws_subnet.private[name].id]
}

output "security_group_ids" {
  description = "Security group id by role: lambda, alb, service, tasks, db."
  value       = { for role, sg in aws_security_group.this : role => sg.id }
}
