# One function per topology lambda, each with its own role and least-privilege policy, the
# shared layer, X-Ray tracing, KMS-encrypted environment and reserved concurrency.

locals {
  environment = {
    for n, fn in var.lambdas : n => merge(
      fn.environment,
      { for k, ref in fn.environment_refs : k => var.ref_values[ref] },
      lookup(var.extra_environment, n, {}),
    )
  }
}

resource "aws_iam_role" "lambda" {
  for_each = var.lambdas
  name     = each.value.role_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "lambda" {
  for_each = var.lambdas
  name     = "least-privilege"
  role     = aws_iam_role.lambda[each.key].id
  policy   = var.lambda_policies[each.key]
}

resource "aws_iam_role_policy" "xray" {
  for_each = var.lambdas
  name     = "xray-traces"
  role     = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"] # X-Ray has no resource-level permissions
    }]
  })
}

# Each bundle from CI's stored artifact (var.lambda_artifacts) or from var.bundle_dir.
module "code" {
  source     = "../lambda_code"
  for_each   = toset(concat(keys(var.lambdas), ["shared-layer"], var.dependency_layer ? ["deps-layer"] : []))
  name       = each.key
  bundle_dir = var.bundle_dir
  artifacts  = var.lambda_artifacts
}

resource "aws_lambda_layer_version" "shared" {
  layer_name          = var.layer_name
  filename            = module.code["shared-layer"].filename
  s3_bucket           = module.code["shared-layer"].s3_bucket
  s3_key              = module.code["shared-layer"].s3_key
  source_code_hash    = module.code["shared-layer"].source_code_hash
  compatible_runtimes = distinct([for fn in var.lambdas : fn.runtime])
}

# Third-party packages of the lambdas (lambdas/shared/requirements.txt), built by
# `python terraform/bundles.py --deps`; the local runtime applies it too (its lambdas run
# with only their bundle and layers, as on AWS).
resource "aws_lambda_layer_version" "deps" {
  count               = var.dependency_layer ? 1 : 0
  layer_name          = "${var.layer_name}-deps"
  filename            = module.code["deps-layer"].filename
  s3_bucket           = module.code["deps-layer"].s3_bucket
  s3_key              = module.code["deps-layer"].s3_key
  source_code_hash    = module.code["deps-layer"].source_code_hash
  compatible_runtimes = distinct([for fn in var.lambdas : fn.runtime])
}

# Each bundle goes to the code bucket first and the function reads it from there: the AWS
# provider holds one process-wide lock over every function created from a local `filename`
# (through its 5 s wait for State=Active), so N functions took N x 5 s one after another;
# from S3 they are created in parallel. The key carries the bundle's MD5, so new code is a new
# object and the function's s3_key changes with it.
resource "aws_s3_object" "bundle" {
  for_each    = var.lambda_artifacts == null ? var.lambdas : {}
  bucket      = var.code_bucket
  key         = "lambda/${each.key}-${filemd5("${var.bundle_dir}/${each.key}.zip")}.zip"
  source      = "${var.bundle_dir}/${each.key}.zip"
  source_hash = filemd5("${var.bundle_dir}/${each.key}.zip")
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:invoked synchronously by API Gateway: the caller gets the error, a dead-letter queue would hold nothing
  #checkov:skip=CKV_AWS_117:only lambdas that call the internal service (in_vpc in topology.yaml) join the VPC; the others call AWS APIs only
  #checkov:skip=CKV_AWS_272:bundles are built deterministically in CI from reviewed source and deployed by Terraform; no signing profile
  for_each      = var.lambdas
  function_name = each.value.function_name
  role          = aws_iam_role.lambda[each.key].arn
  handler       = each.value.handler
  runtime       = each.value.runtime
  timeout       = each.value.timeout
  memory_size   = each.value.memory
  # CI's stored bundle (var.lambda_artifacts) or the bundle this module uploads (aws_s3_object)
  s3_bucket                      = var.lambda_artifacts == null ? try(aws_s3_object.bundle[each.key].bucket, null) : module.code[each.key].s3_bucket
  s3_key                         = var.lambda_artifacts == null ? try(aws_s3_object.bundle[each.key].key, null) : module.code[each.key].s3_key
  source_code_hash               = module.code[each.key].source_code_hash
  layers                         = concat(aws_lambda_layer_version.deps[*].arn, [aws_lambda_layer_version.shared.arn])
  kms_key_arn                    = var.kms_key_arn
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment[each.key]
  }

  tracing_config {
    mode = "Active"
  }

  dynamic "vpc_config" {
    for_each = each.value.in_vpc ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = [var.lambda_security_group_id]
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = var.log_groups[each.value.log_group]
  }
}
