# API Gateway REST API: one resource path and method per topology route, Lambda proxy
# integrations, a TOKEN authorizer on every route that is `authorized`, CORS, access logs,
# X-Ray and stage throttling from the environment's sizes.

locals {
  segments = { for k, r in var.routes : k => split("/", trimprefix(r.path, "/")) }
  # Resource paths by depth (topology.yaml allows 1 to 3 segments).
  level1 = toset([for s in values(local.segments) : s[0]])
  level2 = toset([for s in values(local.segments) : join("/", slice(s, 0, 2)) if length(s) >= 2])
  level3 = toset([for s in values(local.segments) : join("/", slice(s, 0, 3)) if length(s) >= 3])
  resource_ids = merge(
    { for p, r in aws_api_gateway_resource.l1 : p => r.id },
    { for p, r in aws_api_gateway_resource.l2 : p => r.id },
    { for p, r in aws_api_gateway_resource.l3 : p => r.id },
  )
  route_resource = { for k, r in var.routes : k => trimprefix(r.path, "/") }
  cors_origin    = join(",", var.api.cors_origins)
}

resource "aws_api_gateway_rest_api" "this" {
  name = var.api.name
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "l1" {
  for_each    = local.level1
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_resource" "l2" {
  for_each    = local.level2
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.l1[split("/", each.key)[0]].id
  path_part   = split("/", each.key)[1]
}

resource "aws_api_gateway_resource" "l3" {
  for_each    = local.level3
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.l2[join("/", slice(split("/", each.key), 0, 2))].id
  path_part   = split("/", each.key)[2]
}

resource "aws_api_gateway_authorizer" "token" {
  name                             = var.api.authorizer_name
  rest_api_id                      = aws_api_gateway_rest_api.this.id
  type                             = "TOKEN"
  identity_source                  = var.api.identity_source
  authorizer_uri                   = aws_lambda_function.this[var.api.authorizer_lambda].invoke_arn
  authorizer_result_ttl_in_seconds = var.api.authorizer_ttl_seconds
}

resource "aws_api_gateway_request_validator" "params" {
  name                        = "${var.api.name}-params"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_body       = false # the handlers validate bodies and answer JSON errors
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "route" {
  #checkov:skip=CKV_AWS_59:POST /auth is where callers get a token, so it cannot require one; every other route uses the TOKEN authorizer (authorized in topology.yaml)
  for_each             = var.routes
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = local.resource_ids[local.route_resource[each.key]]
  http_method          = each.value.method
  authorization        = each.value.authorized ? "CUSTOM" : "NONE"
  authorizer_id        = each.value.authorized ? aws_api_gateway_authorizer.token.id : null
  request_validator_id = aws_api_gateway_request_validator.params.id
  request_parameters = {
    for p in regexall("\\{([A-Za-z0-9_]+)\\}", each.value.path) : "method.request.path.${p[0]}" => true
  }
}

resource "aws_api_gateway_integration" "route" {
  for_each                = var.routes
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.route[each.key].resource_id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.this[each.value.lambda_name].invoke_arn
}

resource "aws_lambda_permission" "route" {
  for_each      = var.routes
  statement_id  = "apigateway-${lower(each.value.method)}-${replace(trimprefix(each.value.path, "/"), "/[^A-Za-z0-9_-]/", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.value.lambda_name].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/${each.value.method}${replace(each.value.path, "/\\{[^}]+\\}/", "*")}"
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "apigateway-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[var.api.authorizer_lambda].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${aws_api_gateway_authorizer.token.id}"
}

# Errors produced by API Gateway itself (401 from the authorizer, throttling 429) carry CORS too.
resource "aws_api_gateway_gateway_response" "cors" {
  for_each      = toset(["DEFAULT_4XX", "DEFAULT_5XX"])
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  response_parameters = {
    "gatewayresponse.header.Access-Control-Allow-Origin"  = "'${local.cors_origin}'"
    "gatewayresponse.header.Access-Control-Allow-Headers" = "'Content-Type,Authorization,Idempotency-Key'"
  }
  response_templates = {
    "application/json" = "{\"message\":$context.error.messageString}"
  }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  # What a deployment serves: the routes and, per method and integration, the attributes that
  # change what a request meets. Not the whole resource objects: the provider reads their unset
  # optional members back as empty ({} / []) on the first refresh, which would redeploy once
  # for nothing after every fresh apply (on AWS as well as locally).
  triggers = {
    redeploy = sha1(jsonencode([
      var.routes,
      local.resource_ids,
      { for k, i in aws_api_gateway_integration.route : k => [i.id, i.type, i.uri, i.integration_http_method] },
      { for k, m in aws_api_gateway_method.route : k => [m.id, m.authorization, try(coalesce(m.authorizer_id), "")] },
      { for k, i in aws_api_gateway_integration.cors : k => [i.id, i.type, i.request_templates] },
    ]))
  }
  lifecycle {
    create_before_destroy = true
  }
  depends_on = [aws_api_gateway_integration.route, aws_api_gateway_integration.cors]
}
