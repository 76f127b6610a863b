# The whole platform of one environment, wired from the topology module's expansion. The env
# roots (terraform/envs/*) add only a backend, a provider and sizes.

module "topology" {
  source        = "../topology"
  topology_path = var.topology_path
  env           = var.env
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  t = module.topology
  # environment_refs of the expansion, resolved (see atelier/topology/expander.py).
  ref_values = merge(
    { for k, arn in module.data.secret_arns : "secret:${k}" => arn },
    { for role, id in module.network.security_group_ids : "security_group:${role}" => id },
    { for s, url in module.ecs_service.service_urls : "service_url:${s}" => var.service_url_base == null ? url : "${var.service_url_base}/_alb/${local.t.services[s].alb_name}" },
    { "subnets:private" = join(",", module.network.private_subnet_ids) },
  )
  task_log_groups = [for p in local.t.pipelines : p.log_group if p.kind != "service"]
  # Lambda variables only Terraform sets (atelier.topology.parity.TERRAFORM_ONLY_ENV, with the
  # reason): a lambda that runs a GPU task starts it on the GPU capacity provider.
  gpu_families = [for p in local.t.pipelines : p.family if p.kind == "gpu_task"]
  lambda_terraform_only_env = {
    for n, fn in local.t.lambdas : n => {
      GPU_CAPACITY_PROVIDER = one(module.gpu_capacity[*].capacity_provider)
    } if length(module.gpu_capacity) > 0 && anytrue([for f in fn.permissions.run_tasks : contains(local.gpu_families, f)])
  }
  log_groups = concat(
    [for fn in local.t.lambdas : fn.log_group],
    [for p in local.t.pipelines : p.log_group],
    [local.t.api.log_group],
  )
}

module "network" {
  source             = "../network"
  network            = local.t.network
  name_prefix        = local.t.prefix
  service_port       = one(distinct([for s in local.t.services : s.port]))
  enable_nat         = var.enable_nat
  kms_key_arn        = module.data.kms_key_arn
  log_retention_days = local.t.log_retention_days
}

module "data" {
  source               = "../data"
  name_prefix          = local.t.prefix
  tables               = local.t.tables
  buckets              = local.t.buckets
  secrets              = local.t.secrets
  database             = local.t.database
  subnet_ids           = module.network.private_subnet_ids
  db_security_group_id = module.network.security_group_ids["db"]
  multi_az             = var.multi_az
  deletion_protection  = var.deletion_protection
}

module "lambda_permissions" {
  source      = "../permissions"
  roles       = { for n, fn in local.t.lambdas : n => { log_group = fn.log_group, in_vpc = fn.in_vpc, permissions = fn.permissions } }
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.name
  account_id  = data.aws_caller_identity.current.account_id
  cluster     = local.t.cluster
  kms_key_arn = module.data.kms_key_arn
}

module "task_permissions" {
  source      = "../permissions"
  roles       = { for n, p in local.t.pipelines : n => { log_group = p.log_group, permissions = p.permissions } }
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.name
  account_id  = data.aws_caller_identity.current.account_id
  cluster     = local.t.cluster
  kms_key_arn = module.data.kms_key_arn
}

module "training_permissions" {
  source      = "../permissions"
  roles       = { for n, p in local.t.pipelines : n => { log_group = p.log_group, permissions = p.training_permissions } if p.training_role_name != null }
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.name
  account_id  = data.aws_caller_identity.current.account_id
  cluster     = local.t.cluster
  kms_key_arn = module.data.kms_key_arn
}

module "monitoring" {
  source             = "../monitoring"
  name_prefix        = local.t.prefix
  log_group_names    = local.log_groups
  task_log_groups    = local.task_log_groups
  log_retention_days = local.t.log_retention_days
  alarms             = local.t.alarms
  alerts_topic       = local.t.alerts_topic
  alert_emails       = var.alert_emails
  alert_webhooks     = var.alert_webhooks
  kms_key_arn        = module.data.kms_key_arn
  enable_canary      = var.enable_canary
  api_url            = module.api.api_url
  canary_zip         = "${var.bundle_dir}/canary.zip"
  lambda_artifacts   = var.lambda_artifacts
  artifacts_bucket   = module.data.bucket_names["artifacts"]
  inputs_bucket      = module.data.bucket_names["inputs"]
  canary_image_check = local.t.canary_image_check
  dimensions = {
    "AWS/ApiGateway" = { ApiName = local.t.api.name, Stage = local.t.api.stage }
    "Atelier/Api"    = { Environment = var.env } # lambda_shared.metrics (EMF)
    "AWS/ApplicationELB" = {
      LoadBalancer = one(values(module.ecs_service.alb_arn_suffixes))
      TargetGroup  = one(values(module.ecs_service.target_group_arn_suffixes))
    }
  }
}

module "ecs_task" {
  source            = "../ecs_task"
  name_prefix       = local.t.prefix
  cluster           = local.t.cluster
  pipelines         = local.t.pipelines
  repositories      = local.t.repositories
  image_tag         = var.image_tag
  image_tags        = var.image_tags
  ref_values        = local.ref_values
  task_policies     = module.task_permissions.policies
  training_policies = module.training_permissions.policies
  log_groups        = module.monitoring.log_groups
  kms_key_arn       = module.data.kms_key_arn
  region            = data.aws_region.current.name
}

# The hourly drift check of the structured model (structured_data.drift_job as an ECS task).
module "drift_schedule" {
  source              = "../drift_schedule"
  name_prefix         = local.t.prefix
  cluster_arn         = module.ecs_task.cluster_arn
  task_definition_arn = module.ecs_task.task_definition_arns["structured_data"]
  container_name      = local.t.pipelines["structured_data"].container_name
  subnet_ids          = module.network.private_subnet_ids
  security_group_ids  = [module.network.security_group_ids["service"]]
  pass_role_arns      = module.ecs_task.role_arns["structured_data"]
  artifacts_bucket    = module.data.bucket_names["artifacts"]
}

module "ecs_service" {
  source                    = "../ecs_service"
  services                  = local.t.services
  cluster_arn               = module.ecs_task.cluster_arn
  task_definition_arns      = module.ecs_task.task_definition_arns
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  alb_security_group_id     = module.network.security_group_ids["alb"]
  service_security_group_id = module.network.security_group_ids["service"]
  deletion_protection       = var.deletion_protection
  enable_autoscaling        = var.enable_autoscaling
}

module "gpu_capacity" {
  source            = "../gpu_capacity"
  count             = var.enable_gpu_capacity && local.t.gpu_max_instances > 0 ? 1 : 0
  name              = local.t.gpu_capacity_provider
  cluster_name      = module.ecs_task.cluster_name
  max_instances     = local.t.gpu_max_instances
  instance_type     = var.gpu_instance_type
  subnet_ids        = module.network.private_subnet_ids
  security_group_id = module.network.security_group_ids["tasks"]
  kms_key_arn       = module.data.kms_key_arn
}

module "api" {
  source                      = "../api"
  api                         = local.t.api
  routes                      = local.t.routes
  lambdas                     = local.t.lambdas
  layer_name                  = local.t.layer_name
  bundle_dir                  = var.bundle_dir
  lambda_artifacts            = var.lambda_artifacts
  code_bucket                 = module.data.bucket_names["artifacts"]
  dependency_layer            = var.dependency_layer
  ref_values                  = local.ref_values
  extra_environment           = local.lambda_terraform_only_env
  lambda_policies             = module.lambda_permissions.policies
  log_groups                  = module.monitoring.log_groups
  subnet_ids                  = module.network.private_subnet_ids
  lambda_security_group_id    = module.network.security_group_ids["lambda"]
  kms_key_arn                 = module.data.kms_key_arn
  manage_account_logging_role = var.manage_account_logging_role
}

module "frontend" {
  source     = "../frontend"
  bucket     = local.t.buckets["frontend"]
  enable_cdn = var.enable_cdn
  enable_waf = var.enable_waf
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
}

module "budgets" {
  source             = "../budgets"
  count              = var.enable_budgets && local.t.monthly_budget_usd > 0 ? 1 : 0
  name_prefix        = local.t.prefix
  env                = var.env
  monthly_budget_usd = local.t.monthly_budget_usd
  alert_emails       = var.alert_emails
  alerts_topic_arn   = module.monitoring.alerts_topic_arn
}

check "region_matches_topology" {
  assert {
    condition     = data.aws_region.current.name == local.t.region
    error_message = "The provider's region differs from topology.yaml's region for this environment."
  }
}
