output "api_url" {
  description = "Invoke URL of the stage (https://<id>.execute-api.<region>.amazonaws.com/<stage>)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "rest_api_id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "function_arns" {
  description = "Lambda => function ARN."
  value       = { for n, fn in aws_lambda_function.this : n => fn.arn }
}

output "layer_arn" {
  description = "Version ARN of the shared layer (lambda_shared, ml_common)."
  value       = aws_lambda_layer_version.shared.arn
}
