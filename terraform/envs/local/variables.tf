variable "image_tag" {
  description = "Image tag of every pipeline (locally the compute agent maps atelier/<name> to pipelines/<name>)."
  type        = string
  default     = "local"
}

variable "bundle_dir" {
  description = "Directory of the lambda and layer bundles (built by the deployer's bundler)."
  type        = string
  default     = "../../../dist"
}

variable "runtime_endpoint" {
  description = "The runtime's address as lambdas and tasks on this machine reach it (atelier deploy --engine terraform sets it)."
  type        = string
  default     = "http://127.0.0.1:4566"
}
