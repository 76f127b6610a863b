# Data at rest: one customer-managed KMS key per environment encrypts every table, bucket,
# secret, the database and its Performance Insights; public access is blocked on every bucket.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:a key policy's "*" resource is the key itself; the account root statement is AWS's default key policy, IAM policies narrow use per role
  #checkov:skip=CKV_AWS_356:same: in a key policy "*" means this key only
  #checkov:skip=CKV_AWS_109:same: key administration stays with the account (IAM decides who), as in AWS's default key policy
  # Key administration and use by this account's IAM (policies narrow it per role) ...
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  # ... and by the AWS services that write encrypted data on our behalf.
  statement {
    sid       = "ServicesEncrypt"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Atelier ${var.name_prefix} data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${trimsuffix(var.name_prefix, "-")}"
  target_key_id = aws_kms_key.this.key_id
}

# --- DynamoDB ---------------------------------------------------------------------------------
resource "aws_dynamodb_table" "this" {
  for_each                    = var.tables
  name                        = each.value.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  deletion_protection_enabled = var.deletion_protection

  # Every key attribute of the table and of its global secondary indexes (strings).
  dynamic "attribute" {
    for_each = toset(compact(concat(
      [each.value.hash_key],
      flatten([for ix in values(each.value.indexes) : [ix.hash_key, ix.range_key == null ? "" : ix.range_key]]),
    )))
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = "ALL"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl_attribute == null ? [] : [each.value.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  point_in_time_recovery {
    enabled = true
  }
}

# --- S3 (all but website buckets, which the frontend module owns) ------------------------------
locals {
  buckets = { for k, b in var.buckets : k => b if !b.website }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:server access logs would need a log bucket per env; CloudTrail data events cover audit where required
  #checkov:skip=CKV_AWS_144:single-region platform; cross-region replication doubles storage for re-creatable data (models are versioned and reproducible from the registry index)
  #checkov:skip=CKV2_AWS_62:no consumer of S3 event notifications; jobs are tracked in DynamoDB
  #checkov:skip=CKV_AWS_21:versioning follows topology.yaml (models: on); inputs/results/artifacts are write-once, re-creatable and expire by lifecycle
  for_each      = local.buckets
  bucket        = each.value.name
  force_destroy = !var.deletion_protection
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = { for k, b in local.buckets : k => b if b.versioned }
  bucket   = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.buckets
  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets
  bucket   = aws_s3_bucket.this[each.key].id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = contains(["inputs", "results"], each.key) ? [1] : []
    content {
      id     = "expire-job-data"
      status = "Enabled"
      filter {}
      expiration {
        days = var.object_expiry_days
      }
    }
  }

  dynamic "rule" {
    for_each = each.value.versioned ? [1] : []
    content {
      id     = "expire-old-versions"
      status = "Enabled"
      filter {}
      noncurrent_version_expiration {
        noncurrent_days = var.object_expiry_days
      }
    }
  }
}

# Deny any request that is not over TLS.
data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
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

resource "aws_s3_bucket_policy" "tls_only" {
  for_each   = local.buckets
  bucket     = aws_s3_bucket.this[each.key].id
  policy     = data.aws_iam_policy_document.tls_only[each.key].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}
