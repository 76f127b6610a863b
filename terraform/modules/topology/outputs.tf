# One output per field of atelier.topology.expander.Expansion; the parity test checks both the
# set of outputs and every value.

output "env" {
  description = "The expanded environment's name."
  value       = var.env
}

output "project" {
  description = "Project name (first part of every resource name)."
  value       = local.t.project
}

output "prefix" {
  description = "Name prefix: <project>-<env>-."
  value       = local.p
}

output "region" {
  description = "AWS region of the environment."
  value       = local.e.region
}

output "account_id" {
  description = "AWS account of the environment, when the topology pins it."
  value       = try(local.e.account_id, null)
}

output "cluster" {
  description = "ECS cluster name."
  value       = "${local.t.project}-${var.env}"
}

output "alerts_topic" {
  description = "SNS topic that alarms notify."
  value       = "${local.p}alerts"
}

output "gpu_capacity_provider" {
  description = "ECS capacity provider (and auto scaling group) for GPU tasks."
  value       = "${local.p}gpu"
}

output "gpu_max_instances" {
  description = "Ceiling of the GPU auto scaling group (its minimum is 0)."
  value       = try(local.sizes.gpu_max_instances, 0)
}

output "monthly_budget_usd" {
  description = "Monthly cost budget of the environment, in USD."
  value       = try(local.sizes.monthly_budget_usd, 0)
}

output "log_retention_days" {
  description = "Retention of every log group, in days."
  value       = local.sizes.log_retention_days
}

output "canary_image_check" {
  description = "Whether the every-minute canary also checks the image model on the golden image."
  value       = try(local.sizes.canary_image_check, false)
}

output "layer_name" {
  description = "Lambda layer holding lambdas/shared/."
  value       = "${local.p}shared"
}

output "network" {
  description = "VPC name and CIDR, private subnets (name => CIDR), security group names by role."
  value       = local.network
}

output "api" {
  description = "API Gateway REST API: name, stage, TOKEN authorizer, throttling, CORS."
  value       = local.api
}

output "routes" {
  description = "\"METHOD /path\" => path, method, lambda, authorized."
  value       = local.routes
}

output "lambdas" {
  description = "Lambda functions: names, code, sizes, environment, references and permissions."
  value       = local.lambdas
}

output "pipelines" {
  description = "ECS task definitions: family, image, cpu, memory, gpu, environment, permissions."
  value       = local.pipelines
}

output "services" {
  description = "ECS services: counts from the environment's sizes, ALB and target group names."
  value       = local.services
}

output "repositories" {
  description = "ECR repository per pipeline."
  value       = { for n, _ in local.t.pipelines : n => "${local.t.project}/${n}" }
}

output "tables" {
  description = "DynamoDB tables: name, hash key, TTL attribute."
  value = {
    for n, tb in local.t.tables : n => {
      name          = "${local.p}${n}"
      hash_key      = tb.hash_key
      ttl_attribute = try(tb.ttl_attribute, null)
      indexes = {
        for i, ix in try(tb.indexes, {}) : i => {
          hash_key  = ix.hash_key
          range_key = try(ix.range_key, null)
        }
      }
    }
  }
}

output "buckets" {
  description = "S3 buckets: name, website, versioned."
  value = {
    for n, b in local.t.buckets : n => {
      name      = "${local.p}${n}"
      website   = try(b.website, false)
      versioned = try(b.versioned, false)
    }
  }
}

output "secrets" {
  description = "Secrets Manager secret names by key."
  value       = { for n, _ in local.t.secrets : n => "${local.p}${n}" }
}

output "database" {
  description = "RDS PostgreSQL instance settings."
  value       = local.database
}

output "alarms" {
  description = "CloudWatch alarms: name, metric, namespace, threshold, period."
  value       = local.alarms
}
