# The HCL twin of atelier.topology.expand(): reads topology.yaml with yamldecode and computes the
# same maps, with the same defaults as platform/atelier/topology/models.py. No provider, so
# tests/integration/test_terraform.py applies it offline and compares its outputs with expand().
# Validation (types, line numbers, references) is the Python loader's job; the tests run it first.

locals {
  t     = yamldecode(file(var.topology_path))
  e     = local.t.environments[var.env]
  sizes = local.e.sizes
  p     = "${local.t.project}-${var.env}-"

  api_settings = merge(
    {
      stage                  = "v1"
      jwt_issuer             = "atelier"
      jwt_audience           = "atelier-api"
      cors_origins           = ["*"]
      authorizer_ttl_seconds = 300
    },
    try(local.t.api, {}),
  )

  service_names = sort([for n, pp in local.t.pipelines : n if pp.kind == "service"])
  authorizer    = one([for n, fn in local.t.lambdas : n if try(fn.authorizer, false)])

  # docs/contracts.md: the static variables every lambda and task receives.
  common_env = merge(
    {
      ATELIER_ENV       = var.env
      JOBS_TABLE        = "${local.p}jobs"
      IDEMPOTENCY_TABLE = "${local.p}idempotency"
      USERS_TABLE       = "${local.p}users"
      INPUTS_BUCKET     = "${local.p}inputs"
      RESULTS_BUCKET    = "${local.p}results"
      MODELS_BUCKET     = "${local.p}models"
      ARTIFACTS_BUCKET  = "${local.p}artifacts"
      JWT_ISSUER        = local.api_settings.jwt_issuer
      JWT_AUDIENCE      = local.api_settings.jwt_audience
      ECS_CLUSTER       = "${local.t.project}-${var.env}"
      LINK_ALLOWLIST    = join(",", try(local.e.link_allowlist, []))
    },
    {
      for n, pp in local.t.pipelines :
      pp.task_definition_var => "${local.p}${n}" if try(pp.task_definition_var, null) != null
    },
  )
  common_refs = {
    JWT_SECRET_ARN  = "secret:jwt"
    DB_SECRET_ARN   = "secret:db"
    SUBNETS         = "subnets:private"
    SECURITY_GROUPS = "security_group:tasks"
  }
  service_refs = {
    for n in slice(local.service_names, 0, min(1, length(local.service_names))) :
    "SERVICE_URL" => "service_url:${n}"
  }

  # Same shape as expand.Permissions: resource names, sorted.
  permissions = {
    for owner in concat(
      [for n, fn in local.t.lambdas : { key = "lambda:${n}", access = try(fn.access, {}), runs = try(fn.runs, null) }],
      [for n, pp in local.t.pipelines : { key = "pipeline:${n}", access = try(pp.access, {}), runs = null }],
      [for n, pp in local.t.pipelines : { key = "training:${n}", access = try(pp.training.access, {}), runs = null } if try(pp.training, null) != null],
      ) : owner.key => {
      tables_read    = sort([for n, lvl in try(owner.access.tables, {}) : "${local.p}${n}" if lvl == "read"])
      tables_write   = sort([for n, lvl in try(owner.access.tables, {}) : "${local.p}${n}" if lvl == "write"])
      buckets_read   = sort([for n, lvl in try(owner.access.buckets, {}) : "${local.p}${n}" if lvl == "read"])
      buckets_write  = sort([for n, lvl in try(owner.access.buckets, {}) : "${local.p}${n}" if lvl == "write"])
      secrets        = sort([for s in try(owner.access.secrets, []) : "${local.p}${s}"])
      run_tasks      = owner.runs == null ? [] : ["${local.p}${owner.runs}"]
      tasks_read     = owner.runs != null || try(owner.access.tasks, null) == "read" ? ["${local.t.project}-${var.env}"] : []
      prefixes_read  = sort([for b, prefix in try(owner.access.prefixes, {}) : "${local.p}${b}/${prefix}"])
      alarms_read    = try(owner.access.alarms, null) == "read" ? [local.p] : []
      prefixes_write = sort([for b, prefix in try(owner.access.write_prefixes, {}) : "${local.p}${b}/${prefix}"])
      metrics_write  = sort(try(owner.access.metrics, []))
    }
  }

  lambdas = {
    for n, fn in local.t.lambdas : n => {
      function_name    = "${local.p}${n}"
      role_name        = "${local.p}${n}-lambda"
      source           = coalesce(try(fn.source, null), "lambdas/${n}")
      handler          = try(fn.handler, "handler.handler")
      runtime          = "python3.11"
      timeout          = fn.timeout
      memory           = fn.memory
      authorizer       = try(fn.authorizer, false)
      in_vpc           = try(fn.calls, null) != null
      log_group        = "/aws/lambda/${local.p}${n}"
      environment      = local.common_env
      environment_refs = merge(local.common_refs, local.service_refs)
      permissions      = local.permissions["lambda:${n}"]
    }
  }

  routes = {
    for n, fn in local.t.lambdas : "${fn.route.method} ${fn.route.path}" => {
      path          = fn.route.path
      method        = fn.route.method
      lambda_name   = n
      function_name = "${local.p}${n}"
      authorized    = try(fn.authorized, true)
    } if try(fn.route, null) != null
  }

  pipelines = {
    for n, pp in local.t.pipelines : n => {
      kind                = pp.kind
      family              = "${local.p}${n}"
      container_name      = n
      image               = "${local.t.project}/${n}"
      image_dir           = pp.image
      cpu                 = pp.cpu
      memory              = pp.memory
      gpu                 = try(pp.gpu, 0)
      port                = try(pp.port, null)
      health_path         = try(pp.health_path, null)
      max_runtime_minutes = try(pp.max_runtime_minutes, null)
      task_role_name      = "${local.p}${n}-task"
      execution_role_name = "${local.p}${n}-exec"
      log_group           = "/ecs/${local.p}${n}"
      environment = merge(
        local.common_env,
        { for k, v in { PORT = try(pp.port, null) } : k => tostring(v) if v != null },
        { for k, v in try(pp.env, {}) : k => tostring(v) },
      )
      environment_refs     = local.common_refs
      permissions          = local.permissions["pipeline:${n}"]
      training_role_name   = try(pp.training, null) == null ? null : "${local.p}${n}-train"
      training_permissions = try(pp.training, null) == null ? null : local.permissions["training:${n}"]
    }
  }

  services = {
    for n, pp in local.t.pipelines : n => {
      name              = "${local.p}${n}"
      pipeline          = n
      family            = "${local.p}${n}"
      desired_count     = local.sizes.services[n].desired
      max_count         = local.sizes.services[n].max
      port              = pp.port
      health_path       = pp.health_path
      alb_name          = "${local.p}${pp.short_name}"
      target_group_name = "${local.p}${pp.short_name}-tg"
    } if pp.kind == "service"
  }

  network = {
    vpc_name = "${local.p}vpc"
    cidr     = local.t.network.cidr
    private_subnets = {
      for i in range(try(local.t.network.private_subnets, 2)) :
      "${local.p}private-${i}" => cidrsubnet(local.t.network.cidr, 8, i)
    }
    security_groups = { for role in ["lambda", "alb", "service", "tasks", "db"] : role => "${local.p}${role}" }
  }

  api = {
    name                   = "${local.p}api"
    stage                  = local.api_settings.stage
    authorizer_name        = "${local.p}${local.authorizer}"
    authorizer_lambda      = local.authorizer
    identity_source        = "method.request.header.Authorization"
    authorizer_ttl_seconds = local.api_settings.authorizer_ttl_seconds
    rate_limit             = try(local.sizes.api_rate_limit, 10)
    burst_limit            = try(local.sizes.api_burst_limit, 20)
    cors_origins           = local.api_settings.cors_origins
    log_group              = "/aws/apigateway/${local.p}api"
  }

  database = {
    identifier        = "${local.p}db"
    engine            = local.t.database.engine
    engine_version    = tostring(local.t.database.engine_version)
    instance_class    = local.t.database.instance_class
    db_name           = local.t.database.db_name
    allocated_storage = local.t.database.allocated_storage
    credentials       = "db"
  }

  alarms = {
    for n, a in try(local.t.alarms, {}) : n => {
      name                = "${local.p}${n}"
      metric              = tostring(a.metric)
      namespace           = a.namespace
      threshold           = a.threshold
      period              = a.period
      evaluation_periods  = try(a.evaluation_periods, 1)
      statistic           = try(a.statistic, "Sum")
      datapoints_to_alarm = try(a.datapoints_to_alarm, null) == null ? try(a.evaluation_periods, 1) : a.datapoints_to_alarm
      comparison          = try(a.comparison, "GreaterThanOrEqualToThreshold")
      treat_missing_data  = try(a.treat_missing_data, "notBreaching")
      description         = try(a.description, "")
      dimensions          = { for k, v in try(a.dimensions, {}) : k => tostring(v) }
    }
  }
}
