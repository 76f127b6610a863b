variable "name_prefix" {
  description = "Resource name prefix, atelier-<env>-."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the drift task runs in."
  type        = string
}

variable "task_definition_arn" {
  description = "ARN (with revision) of the structured_data task definition the check runs."
  type        = string
}

variable "container_name" {
  description = "Name of that task definition's container (its command is overridden)."
  type        = string
}

variable "command" {
  description = "The drift check's command in the container."
  type        = list(string)
  default     = ["python", "-m", "structured_data.drift_job"]
}

variable "schedule" {
  description = "EventBridge schedule expression of the check."
  type        = string
  default     = "rate(1 hour)"
}

variable "subnet_ids" {
  description = "Private subnets of the task (awsvpc)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the task (the structured_data service's: it reaches PostgreSQL)."
  type        = list(string)
}

variable "pass_role_arns" {
  description = "The task definition's task and execution role ARNs, which the rule's role passes to ECS."
  type        = list(string)
}

variable "artifacts_bucket" {
  description = "Bucket where the check writes drift/latest.json and its HTML report."
  type        = string
}
