output "filename" {
  description = "Local zip path, or null when the code comes from S3."
  value       = local.stored ? null : local.path
}

output "s3_bucket" {
  description = "Artifacts bucket of the stored bundle, or null for a local zip."
  value       = local.stored ? var.artifacts.bucket : null
}

output "s3_key" {
  description = "Content-addressed key of the stored bundle, or null for a local zip."
  value       = local.stored ? local.object.key : null
}

output "source_code_hash" {
  description = "Base64 SHA-256 of the zip: CI's recorded hash of the stored bundle, or computed from the local file."
  value       = local.stored ? local.object.sha256 : filebase64sha256(local.path)
}
