# The stage: access logs, X-Ray, throttling from sizes; CORS preflight per resource path.

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:responses are per user and per request (POST, job status); a cache would serve stale or foreign data
  #checkov:skip=CKV2_AWS_51:public API for browsers: callers authenticate with a JWT (TOKEN authorizer), not client certificates
  #checkov:skip=CKV2_AWS_77:WAF is optional (enable_waf); a web ACL attached here is the operator's, with AWSManagedRulesKnownBadInputsRuleSet as in the frontend's
  #checkov:skip=CKV2_AWS_29:WAF is optional (enable_waf) and attached through aws_wafv2_web_acl_association below; stage throttling applies always
  deployment_id        = aws_api_gateway_deployment.this.id
  rest_api_id          = aws_api_gateway_rest_api.this.id
  stage_name           = var.api.stage
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${var.log_groups[var.api.log_group]}"
    format = jsonencode({
      requestId = "$context.requestId", ip = "$context.identity.sourceIp", method = "$context.httpMethod",
      path      = "$context.resourcePath", status = "$context.status", latency = "$context.responseLatency",
      error     = "$context.error.message", authorizerError = "$context.authorizer.error",
    })
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:no response cache, see the stage (CKV_AWS_120)
  #checkov:skip=CKV_AWS_308:no response cache to encrypt, see the stage (CKV_AWS_120)
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"
  settings {
    metrics_enabled        = true
    logging_level          = "INFO"
    data_trace_enabled     = false # never log request bodies (passwords, tokens)
    throttling_rate_limit  = var.api.rate_limit
    throttling_burst_limit = var.api.burst_limit
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.waf_acl_arn == null ? 0 : 1
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.waf_acl_arn
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

# Account-wide: lets API Gateway write the stage's logs.
resource "aws_iam_role" "apigateway_logs" {
  count = var.manage_account_logging_role ? 1 : 0
  name  = "${var.api.name}-cloudwatch"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "apigateway.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "apigateway_logs" {
  count      = var.manage_account_logging_role ? 1 : 0
  role       = aws_iam_role.apigateway_logs[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count               = var.manage_account_logging_role ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.apigateway_logs[0].arn
}

# CORS preflight: OPTIONS on every resource that carries a route, answered by API Gateway.
locals {
  route_paths = toset(values(local.route_resource))
}

resource "aws_api_gateway_method" "cors" {
  #checkov:skip=CKV_AWS_59:CORS preflight (OPTIONS) carries no credentials by design and returns only headers
  for_each             = local.route_paths
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = local.resource_ids[each.key]
  http_method          = "OPTIONS"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.params.id
}

resource "aws_api_gateway_integration" "cors" {
  for_each          = local.route_paths
  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = local.resource_ids[each.key]
  http_method       = aws_api_gateway_method.cors[each.key].http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_method_response" "cors" {
  for_each    = local.route_paths
  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = local.resource_ids[each.key]
  http_method = aws_api_gateway_method.cors[each.key].http_method
  status_code = "200"
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin"  = true
    "method.response.header.Access-Control-Allow-Methods" = true
    "method.response.header.Access-Control-Allow-Headers" = true
  }
}

resource "aws_api_gateway_integration_response" "cors" {
  for_each    = local.route_paths
  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = local.resource_ids[each.key]
  http_method = aws_api_gateway_method.cors[each.key].http_method
  status_code = aws_api_gateway_method_response.cors[each.key].status_code
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin"  = "'${local.cors_origin}'"
    "method.response.header.Access-Control-Allow-Methods" = "'${join(",", sort(concat(["OPTIONS"], [for r in var.routes : r.method if trimprefix(r.path, "/") == each.key])))}'"
    "method.response.header.Access-Control-Allow-Headers" = "'Content-Type,Authorization,Idempotency-Key'"
  }
  depends_on = [aws_api_gateway_integration.cors]
}
