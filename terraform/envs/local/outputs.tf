output "api_url" {
  description = "Invoke URL of the API on the local runtime."
  value       = module.stack.api_url
}

output "frontend_url" {
  description = "S3 website URL of the frontend on the local runtime."
  value       = module.stack.frontend_url
}

output "deployment" {
  description = "What the stack made, read by `atelier deploy --engine terraform` (outputs.json)."
  value       = module.stack.deployment
}

output "frontend_config" {
  description = "The frontend's config.json for this environment (published with the build)."
  value       = module.stack.frontend_config
}
