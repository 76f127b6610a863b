variable "api" {
  description = "The topology module's api output: name, stage, TOKEN authorizer, throttling, CORS, log group."
  type = object({
    name                   = string
    stage                  = string
    authorizer_name        = string
    authorizer_lambda      = string
    identity_source        = string
    authorizer_ttl_seconds = number
    rate_limit             = number
    burst_limit            = number
    cors_origins           = list(string)
    log_group              = string
  })
}

variable "routes" {
  description = "The topology module's routes output: \"METHOD /path\" => path, method, lambda, authorized."
  type = map(object({
    path          = string
    method        = string
    lambda_name   = string
    function_name = string
    authorized    = bool
  }))
}

variable "lambdas" {
  description = "The topology module's lambdas output."
  type = map(object({
    function_name    = string
    role_name        = string
    handler          = string
    runtime          = string
    timeout          = number
    memory           = number
    authorizer       = bool
    in_vpc           = bool
    log_group        = string
    environment      = map(string)
    environment_refs = map(string)
  }))
}

variable "layer_name" {
  description = "Name of the layer holding lambdas/shared/ (the topology module's layer_name)."
  type        = string
}

variable "bundle_dir" {
  description = "Directory with the deterministic bundles built by the deployer's bundler: <lambda>.zip per lambda and shared-layer.zip."
  type        = string
}

variable "code_bucket" {
  description = "S3 bucket the lambdas' bundles are uploaded to and their functions read their code from (the artifacts bucket)."
  type        = string
}

variable "dependency_layer" {
  description = "Attach the third-party layer <bundle_dir>/deps-layer.zip."
  type        = bool
  default     = true
}

variable "ref_values" {
  description = "Values of the topology's environment references (secret:<k>, subnets:private, security_group:<role>, service_url:<s>)."
  type        = map(string)
}

variable "extra_environment" {
  description = "Lambda => variables Terraform sets beyond the expansion's (atelier.topology.parity.TERRAFORM_ONLY_ENV), e.g. GPU_CAPACITY_PROVIDER."
  type        = map(map(string))
  default     = {}
}

variable "lambda_policies" {
  description = "Lambda => least-privilege IAM policy JSON (permissions module)."
  type        = map(string)
}

variable "log_groups" {
  description = "Log group name => name, from the monitoring module (groups exist before functions log)."
  type        = map(string)
}

variable "subnet_ids" {
  description = "Private subnets for lambdas that run in the VPC (in_vpc)."
  type        = list(string)
}

variable "lambda_security_group_id" {
  description = "Security group of in-VPC lambdas (may reach only the internal ALB, and HTTPS out)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the lambdas' environment variables."
  type        = string
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function (caps cost and blast radius)."
  type        = number
  default     = 20
}

variable "waf_acl_arn" {
  description = "Regional WAFv2 web ACL to attach to the API stage, or null."
  type        = string
  default     = null
}

variable "manage_account_logging_role" {
  description = "Set the account-wide API Gateway CloudWatch role (once per account and region)."
  type        = bool
  default     = true
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
