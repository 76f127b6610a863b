variable "roles" {
  description = "Role key => the topology's permissions (resource names) plus its own log group and, for lambdas, whether it runs in the VPC."
  type = map(object({
    log_group = string
    in_vpc    = optional(bool, false)
    permissions = object({
      tables_read    = list(string)
      tables_write   = list(string)
      buckets_read   = list(string)
      buckets_write  = list(string)
      secrets        = list(string)
      run_tasks      = list(string)
      tasks_read     = list(string)
      prefixes_read  = optional(list(string), [])
      alarms_read    = optional(list(string), [])
      prefixes_write = optional(list(string), [])
      metrics_write  = optional(list(string), [])
    })
  }))
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "account_id" {
  description = "AWS account id of the environment."
  type        = string
}

variable "cluster" {
  description = "ECS cluster name (RunTask is allowed only there)."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's data key: roles that touch encrypted data may use it."
  type        = string
}
