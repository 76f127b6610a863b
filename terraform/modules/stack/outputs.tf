output "api_url" {
  description = "Invoke URL of the API stage."
  value       = module.api.api_url
}

output "frontend_url" {
  description = "URL of the frontend (CloudFront, or the S3 website locally)."
  value       = module.frontend.url
}

output "frontend_bucket" {
  description = "Bucket CI syncs the frontend build into."
  value       = module.frontend.bucket_name
}

output "repository_urls" {
  description = "Pipeline => ECR repository URL."
  value       = module.ecs_task.repository_urls
}

output "cluster" {
  description = "ECS cluster name."
  value       = module.ecs_task.cluster_name
}

output "expansion_prefix" {
  description = "Name prefix of every resource (atelier-<env>-)."
  value       = module.topology.prefix
}

output "deployment" {
  description = "What a deploy made, as `atelier deploy --engine terraform` writes it to .atelier/outputs.json."
  value = {
    rest_api_id          = module.api.rest_api_id
    function_arns        = module.api.function_arns
    layer_arn            = module.api.layer_arn
    vpc_id               = module.network.vpc_id
    subnet_ids           = module.network.private_subnet_ids
    security_group_ids   = module.network.security_group_ids
    secret_arns          = module.data.secret_arns
    db_endpoint          = module.data.db_endpoint
    task_definition_arns = module.ecs_task.task_definition_arns
    load_balancers       = module.ecs_service.load_balancers
    alerts_topic_arn     = module.monitoring.alerts_topic_arn
  }
}

output "frontend_config" {
  description = "The frontend's config.json (atelier.deploy.frontend_config writes it into the build before it is published)."
  value = {
    apiUrl         = module.api.api_url
    env            = var.env
    region         = data.aws_region.current.name
    inputsBucket   = module.topology.buckets["inputs"].name
    uploads        = true
    pollIntervalMs = 2000
  }
}
