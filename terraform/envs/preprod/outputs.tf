output "api_url" {
  description = "Invoke URL of the API."
  value       = module.stack.api_url
}

output "frontend_url" {
  description = "URL of the frontend (CloudFront)."
  value       = module.stack.frontend_url
}

output "frontend_bucket" {
  description = "Bucket CI syncs the frontend build into."
  value       = module.stack.frontend_bucket
}

output "repository_urls" {
  description = "Pipeline => ECR repository URL."
  value       = module.stack.repository_urls
}

output "frontend_config" {
  description = "The frontend's config.json for this environment (published with the build)."
  value       = module.stack.frontend_config
}
