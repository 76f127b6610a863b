variable "services" {
  description = "The topology module's services output: counts, port, health path, ALB and target group names."
  type = map(object({
    name              = string
    pipeline          = string
    family            = string
    desired_count     = number
    max_count         = number
    port              = number
    health_path       = string
    alb_name          = string
    target_group_name = string
  }))
}

variable "cluster_arn" {
  description = "ECS cluster the services run in."
  type        = string
}

variable "task_definition_arns" {
  description = "Pipeline => task definition ARN (ecs_task module)."
  type        = map(string)
}

variable "vpc_id" {
  description = "VPC of the target groups."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the ALB and the service tasks."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the internal ALB (admits only the lambda group)."
  type        = string
}

variable "service_security_group_id" {
  description = "Security group of the service tasks (admits only the ALB group)."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the ALB from deletion."
  type        = bool
  default     = true
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling between desired_count and max_count (the local runtime has no such API; its max is 1)."
  type        = bool
  default     = true
}

variable "cpu_target_percent" {
  description = "Average CPU the autoscaling policy keeps the service at."
  type        = number
  default     = 60
}
