variable "env" {
  description = "Environment name (a key of topology.yaml's environments)."
  type        = string
}

variable "region" {
  description = "AWS region of the environment (the same as topology.yaml says)."
  type        = string
}

variable "account_id" {
  description = "AWS account of the environment: the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit id of the environment's AWS account (terraform.tfvars)."
  }
}

variable "deploy_role_arn" {
  description = "Role in the env account that Terraform assumes."
  type        = string
}

variable "image_tag" {
  description = "Image tag of a pipeline that image_tags does not name: the release's git SHA (set by CI: -var image_tag=...)."
  type        = string
}

variable "image_tags" {
  description = "Pipeline => tag of its last pushed build (CI writes image_tags.auto.tfvars.json from ECR before the plan)."
  type        = map(string)
  default     = {}
}

variable "bundle_dir" {
  description = "Directory of the lambda, layer and canary bundles (built by CI before apply)."
  type        = string
  default     = "../../../dist"
}

variable "alert_emails" {
  description = "Addresses that receive alarms and budget notifications."
  type        = list(string)
  default     = []
}

variable "multi_az" {
  description = "RDS in two availability zones."
  type        = bool
}

variable "deletion_protection" {
  description = "Protect data stores and the ALB from deletion."
  type        = bool
}

variable "enable_waf" {
  description = "WAF web ACL on CloudFront."
  type        = bool
}

variable "gpu_instance_type" {
  description = "Instance type of the GPU capacity."
  type        = string
  default     = "g4dn.xlarge"
}

variable "alert_webhooks" {
  description = "HTTPS endpoints (chat or paging webhooks) subscribed to the alert topic; each confirms its subscription."
  type        = list(string)
  default     = []
}

variable "lambda_artifacts" {
  description = "CI's stored bundles (atelier.cicd.lambda_artifacts tfvars): the artifacts bucket and, per bundle, its content-addressed S3 key and base64 SHA-256; written by CI before the plan (lambda_artifacts.auto.tfvars.json); null: zips in bundle_dir."
  type = object({
    bucket = string
    objects = map(object({
      key    = string
      sha256 = string
    }))
  })
  default = null
}
