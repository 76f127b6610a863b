variable "env" {
  description = "Environment name: a key of topology.yaml's environments."
  type        = string
}

variable "topology_path" {
  description = "Path of topology.yaml."
  type        = string
}

variable "bundle_dir" {
  description = "Directory of the lambda, layer and canary bundles built before apply (dist/)."
  type        = string
}

variable "image_tag" {
  description = "Image tag of a pipeline that image_tags does not name (the release's git SHA)."
  type        = string
}

variable "image_tags" {
  description = "Pipeline => tag of its last build; wins over image_tag for the pipelines it names."
  type        = map(string)
  default     = {}
}

variable "alert_emails" {
  description = "Addresses that receive alarms and budget notifications."
  type        = list(string)
  default     = []
}

variable "dependency_layer" {
  description = "Build the lambdas' third-party layer from <bundle_dir>/deps-layer.zip."
  type        = bool
  default     = true
}

variable "enable_autoscaling" {
  description = "Application Auto Scaling of the ECS services (off locally: no such API, max 1)."
  type        = bool
  default     = true
}

variable "enable_nat" {
  description = "NAT gateway for internet egress from private subnets (tasks fetch http(s) links)."
  type        = bool
  default     = true
}

variable "enable_cdn" {
  description = "CloudFront in front of the frontend bucket."
  type        = bool
  default     = true
}

variable "enable_waf" {
  description = "WAF web ACL on CloudFront."
  type        = bool
  default     = false
}

variable "enable_canary" {
  description = "Synthetics canary calling the API every minute."
  type        = bool
  default     = true
}

variable "enable_budgets" {
  description = "Monthly cost budget with notifications."
  type        = bool
  default     = true
}

variable "enable_gpu_capacity" {
  description = "GPU auto scaling group and ECS capacity provider (scale to zero)."
  type        = bool
  default     = true
}

variable "gpu_instance_type" {
  description = "Instance type of the GPU capacity."
  type        = string
  default     = "g4dn.xlarge"
}

variable "multi_az" {
  description = "RDS in two availability zones."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect data stores and the ALB from deletion."
  type        = bool
  default     = true
}

variable "manage_account_logging_role" {
  description = "Set the account-wide API Gateway CloudWatch role."
  type        = bool
  default     = true
}

variable "alert_webhooks" {
  description = "HTTPS endpoints (chat or paging webhooks) subscribed to the alert topic; each confirms its subscription."
  type        = list(string)
  default     = []
}

variable "service_url_base" {
  description = "Only on the local runtime: its address as processes on the machine reach it; a service is then called at <base>/_alb/<alb name> (the runtime's path-addressed ALB), as `atelier deploy` sets it, instead of the ALB's DNS name. null on AWS."
  type        = string
  default     = null
}

variable "lambda_artifacts" {
  description = "CI's stored bundles (atelier.cicd.lambda_artifacts tfvars): the artifacts bucket and, per bundle, its content-addressed S3 key and base64 SHA-256; null: the zips in bundle_dir (the local engine)."
  type = object({
    bucket = string
    objects = map(object({
      key    = string
      sha256 = string
    }))
  })
  default = null
}
