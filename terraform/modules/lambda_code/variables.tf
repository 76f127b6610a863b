variable "name" {
  description = "Bundle name: a lambda of the topology, shared-layer, deps-layer or canary (the zip is <name>.zip)."
  type        = string
}

variable "bundle_dir" {
  description = "Directory of locally built bundles (terraform/bundles.py); used when artifacts is null."
  type        = string
  default     = ""
}

variable "path" {
  description = "Path of the local zip when it is not <bundle_dir>/<name>.zip (empty: that default)."
  type        = string
  default     = ""
}

variable "artifacts" {
  description = "CI's stored bundles (atelier.cicd.lambda_artifacts): the artifacts bucket and, per bundle name, its content-addressed key and base64 SHA-256; null: build-free local bundles from bundle_dir."
  type = object({
    bucket = string
    objects = map(object({
      key    = string
      sha256 = string
    }))
  })
  default = null
}
