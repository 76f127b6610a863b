# Where one Lambda bundle comes from: CI's stored artifact (s3_bucket/s3_key, with the hash CI
# recorded when it stored it) when var.artifacts is set, else a zip in var.bundle_dir (the
# local engine, `nox -s deploy_terraform_local`). No resources: the api and monitoring modules
# pass these outputs to aws_lambda_function, aws_lambda_layer_version and the canary.

locals {
  stored = var.artifacts != null
  object = local.stored ? var.artifacts.objects[var.name] : null
  path   = var.path != "" ? var.path : "${var.bundle_dir}/${var.name}.zip"
}
