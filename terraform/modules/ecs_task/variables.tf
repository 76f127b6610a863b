variable "name_prefix" {
  description = "Resource name prefix, atelier-<env>-."
  type        = string
}

variable "cluster" {
  description = "ECS cluster name (the topology module's cluster output)."
  type        = string
}

variable "pipelines" {
  description = "The topology module's pipelines output: one task definition each."
  type = map(object({
    kind                = string
    family              = string
    container_name      = string
    image               = string
    cpu                 = number
    memory              = number
    gpu                 = number
    port                = optional(number)
    task_role_name      = string
    execution_role_name = string
    training_role_name  = optional(string)
    log_group           = string
    environment         = map(string)
    environment_refs    = map(string)
  }))
}

variable "repositories" {
  description = "The topology module's repositories output: pipeline => ECR repository name."
  type        = map(string)
}

variable "image_tag" {
  description = "Image tag of a pipeline that image_tags does not name (the release's git SHA; tags are immutable)."
  type        = string
}

variable "image_tags" {
  description = "Pipeline => tag of its last build (CI: atelier.cicd.artifacts image-tags), so a change to one pipeline, to Terraform or to lambdas deploys without rebuilding the other images."
  type        = map(string)
  default     = {}
}

variable "ref_values" {
  description = "Values of the topology's environment references (secret:<k>, subnets:private, security_group:<role>, service_url:<s>)."
  type        = map(string)
}

variable "task_policies" {
  description = "Pipeline => least-privilege IAM policy JSON of its task role (permissions module)."
  type        = map(string)
}

variable "training_policies" {
  description = "Pipeline => least-privilege IAM policy JSON of its training task role, for pipelines with a topology `training:` block (permissions module)."
  type        = map(string)
  default     = {}
}

variable "log_groups" {
  description = "Log group name => name, from the monitoring module (so groups exist before tasks log)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key encrypting the ECR repositories."
  type        = string
}

variable "region" {
  description = "AWS region (awslogs driver)."
  type        = string
}
