output "bucket_name" {
  description = "Name of the frontend bucket (CI syncs frontend/dist here)."
  value       = aws_s3_bucket.this.id
}

output "url" {
  description = "URL of the frontend: CloudFront on AWS, the S3 website endpoint locally."
  value       = var.enable_cdn ? "https://${aws_cloudfront_distribution.this[0].domain_name}" : "http://${aws_s3_bucket_website_configuration.local[0].website_endpoint}"
}

output "distribution_id" {
  description = "CloudFront distribution id (CI invalidates /index.html after a sync), or null."
  value       = var.enable_cdn ? aws_cloudfront_distribution.this[0].id : null
}
