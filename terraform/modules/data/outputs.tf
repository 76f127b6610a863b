output "kms_key_arn" {
  description = "The environment's data key (tables, buckets, secrets, logs, RDS)."
  value       = aws_kms_key.this.arn
}

output "table_arns" {
  description = "DynamoDB table ARN by topology key."
  value       = { for k, t in aws_dynamodb_table.this : k => t.arn }
}

output "bucket_arns" {
  description = "S3 bucket ARN by topology key (non-website buckets)."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "bucket_names" {
  description = "S3 bucket name by topology key (non-website buckets)."
  value       = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "secret_arns" {
  description = "Secrets Manager ARN by topology key (jwt, db)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "db_endpoint" {
  description = "RDS endpoint host:port."
  value       = aws_db_instance.this.endpoint
}
