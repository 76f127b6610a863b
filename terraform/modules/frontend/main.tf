# The frontend's static files: a private S3 bucket read only by CloudFront (origin access
# control), HTTPS only, security headers, optional WAF. Locally (enable_cdn = false) the bucket
# is what the emulator serves as a website.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:static build output re-creatable from git; CloudFront standard logs can be enabled per env if needed
  #checkov:skip=CKV_AWS_144:static build output re-created by every deployment; no need for a replica
  #checkov:skip=CKV2_AWS_62:no consumer of S3 event notifications for static files
  #checkov:skip=CKV2_AWS_6:the bucket has its public access block (aws_s3_bucket_public_access_block.this), all four settings true on every AWS root; two follow enable_cdn, false only on the local runtime
  #checkov:skip=CKV_AWS_145:public static assets; SSE-S3 (AES256) avoids a KMS key policy for CloudFront and per-request KMS cost
  bucket        = var.bucket.name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled" # a bad deploy is rolled back by restoring the previous versions
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Blocked on AWS (CloudFront reads through OAC). Locally the website is the stand-in for the
# CDN and browsers read it anonymously, as `atelier deploy` opens it: the policy, not ACLs.
resource "aws_s3_bucket_public_access_block" "this" {
  #checkov:skip=CKV_AWS_54:public policies are blocked whenever enable_cdn is true (every AWS root; test_only_the_local_root_opens_the_frontend_bucket); open only on the local runtime, where the bucket stands in for the CDN
  #checkov:skip=CKV_AWS_56:same as CKV_AWS_54: restrict_public_buckets follows enable_cdn, true on every AWS root
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = var.enable_cdn
  ignore_public_acls      = true
  restrict_public_buckets = var.enable_cdn
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    id     = "expire-old-builds"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_cloudfront_origin_access_control" "this" {
  count                             = var.enable_cdn ? 1 : 0
  name                              = var.bucket.name
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "this" {
  count = var.enable_cdn ? 1 : 0
  name  = "${var.bucket.name}-security-headers"
  security_headers_config {
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_86:standard logs need a log bucket with ACLs; CloudFront metrics and WAF logs cover operations
  #checkov:skip=CKV_AWS_310:one origin (the bucket); an origin group would need a replica bucket
  #checkov:skip=CKV_AWS_174:the default *.cloudfront.net certificate; a custom domain and ACM certificate (TLSv1.2_2021) is set per env when the team has one
  #checkov:skip=CKV2_AWS_42:same: no custom domain yet, see CKV_AWS_174
  #checkov:skip=CKV_AWS_374:the team's users are not restricted by country
  #checkov:skip=CKV_AWS_68:WAF is optional (enable_waf); static files behind OAC, the API has its own throttling
  #checkov:skip=CKV2_AWS_47:WAF is optional (enable_waf); when on it includes AWSManagedRulesKnownBadInputsRuleSet (Log4j)
  count               = var.enable_cdn ? 1 : 0
  enabled             = true
  default_root_object = "index.html"
  price_class         = var.price_class
  web_acl_id          = var.enable_waf ? aws_wafv2_web_acl.this[0].arn : null
  http_version        = "http2and3"

  origin {
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_id                = "frontend"
    origin_access_control_id = aws_cloudfront_origin_access_control.this[0].id
  }

  default_cache_behavior {
    target_origin_id           = "frontend"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = "658327ea-f89d-4fab-a63d-7e88639e58f6" # AWS managed CachingOptimized
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this[0].id
  }

  # Single-page app: unknown paths are the app's routes.
  custom_error_response {
    error_code         = 403
    response_code      = 200
    response_page_path = "/index.html"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
    minimum_protocol_version       = "TLSv1.2_2021"
  }
}

data "aws_iam_policy_document" "bucket" {
  count = var.enable_cdn ? 1 : 0
  statement {
    sid       = "CloudFrontReadsThroughOAC"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this[0].arn]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count      = var.enable_cdn ? 1 : 0
  bucket     = aws_s3_bucket.this.id
  policy     = data.aws_iam_policy_document.bucket[0].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# Locally (no CloudFront) the emulator serves the bucket as a website, like `atelier deploy`:
# anyone may read its files (the same statement the Python engine writes).
resource "aws_s3_bucket_policy" "local_website" {
  #checkov:skip=CKV_AWS_70:created only when enable_cdn is false, i.e. on the local runtime (no AWS root sets it; tested): the emulator's website is read anonymously like a CDN
  count  = var.enable_cdn ? 0 : 1
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicReadForLocalWebsite"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.this.arn}/*"
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# Locally (no CloudFront) the emulator serves the bucket as a website, like `atelier deploy`.
resource "aws_s3_bucket_website_configuration" "local" {
  count  = var.enable_cdn ? 0 : 1
  bucket = aws_s3_bucket.this.id
  index_document {
    suffix = "index.html"
  }
  error_document {
    key = "index.html"
  }
}
