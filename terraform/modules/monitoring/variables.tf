variable "name_prefix" {
  description = "Resource name prefix, atelier-<env>-."
  type        = string
}

variable "log_group_names" {
  description = "Every workload log group: the lambdas', the pipelines' and the API's (from the topology module)."
  type        = list(string)
}

variable "task_log_groups" {
  description = "Log groups of the task pipelines, whose FAILED job lines feed the JobsFailed metric."
  type        = list(string)
}

variable "log_retention_days" {
  description = "Retention of every log group (topology sizes.log_retention_days)."
  type        = number
}

variable "alarms" {
  description = "The topology module's alarms output."
  type = map(object({
    name                = string
    metric              = string
    namespace           = string
    threshold           = number
    period              = number
    evaluation_periods  = number
    statistic           = string
    datapoints_to_alarm = number
    comparison          = string
    treat_missing_data  = string
    description         = string
    dimensions          = map(string)
  }))
}

variable "alerts_topic" {
  description = "SNS topic name the alarms notify (the topology module's alerts_topic)."
  type        = string
}

variable "alert_emails" {
  description = "Addresses subscribed to the alerts topic (each confirms by email)."
  type        = list(string)
  default     = []
}

variable "dimensions" {
  description = "CloudWatch dimensions of each alarm namespace (AWS/ApiGateway, AWS/ApplicationELB, ...); a namespace not listed has none."
  type        = map(map(string))
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key encrypting the log groups and the SNS topic."
  type        = string
}

variable "enable_canary" {
  description = "Run the Synthetics canary against the API every minute (AWS only)."
  type        = bool
  default     = true
}

variable "api_url" {
  description = "Invoke URL of the API stage the canary calls."
  type        = string
  default     = ""
}

variable "canary_zip" {
  description = "Path of the canary bundle (python/api_canary.py), built by the deployer's bundler."
  type        = string
  default     = ""
}

variable "artifacts_bucket" {
  description = "Bucket (and prefix canary/) where the canary stores its run artifacts."
  type        = string
  default     = ""
}

variable "canary_secret_arn" {
  description = "Secrets Manager ARN of the monitoring user ({username, password}) the canary logs in as; empty: the canary only checks that /auth refuses no credentials."
  type        = string
  default     = ""
}

variable "alert_webhooks" {
  description = "HTTPS endpoints (chat or paging webhooks) subscribed to the alert topic; each confirms its subscription."
  type        = list(string)
  default     = []
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

variable "inputs_bucket" {
  description = "Inputs bucket, where the canary's golden image (canary/golden-image.png) is uploaded."
  type        = string
}

variable "canary_image_check" {
  description = "The canary also submits the golden image and follows its job (topology sizes.canary_image_check)."
  type        = bool
  default     = false
}
