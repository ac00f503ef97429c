# Athena reads the Iceberg tables through the Glue Data Catalog. The workgroup enforces its settings
# (clients cannot override them), encrypts results with the platform key and writes them to a
# dedicated private bucket that expires them.
locals {
  results_bucket = "${var.context.name_prefix}-${var.name}-results-${var.context.aws.account_id}"
}

resource "aws_s3_bucket" "results" {
  # checkov:skip=CKV_AWS_18: server access logs are replaced by CloudTrail S3 data events, enabled account-wide in the landing zone (README).
  # checkov:skip=CKV_AWS_144: query results are disposable (expired after 7 days); no replica needed.
  # checkov:skip=CKV2_AWS_62: no consumer of event notifications for query results.
  bucket        = local.results_bucket
  force_destroy = var.force_destroy
  tags          = var.context.tags
}

resource "aws_s3_bucket_ownership_controls" "results" {
  bucket = aws_s3_bucket.results.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket                  = aws_s3_bucket.results.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "results" {
  bucket = aws_s3_bucket.results.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  bucket = aws_s3_bucket.results.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.context.aws.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  bucket = aws_s3_bucket.results.id
  rule {
    id     = "expire-results"
    status = "Enabled"
    filter {}
    expiration {
      days = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.results.arn, "${aws_s3_bucket.results.arn}/*"]
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

resource "aws_s3_bucket_policy" "results" {
  bucket     = aws_s3_bucket.results.id
  policy     = data.aws_iam_policy_document.tls_only.json
  depends_on = [aws_s3_bucket_public_access_block.results]
}

resource "aws_athena_workgroup" "this" {
  name          = "${var.context.name_prefix}-${var.name}"
  force_destroy = var.force_destroy
  tags          = var.context.tags

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = 107374182400

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${aws_s3_bucket.results.bucket}/results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.context.aws.kms_key_arn
      }
    }
  }
}

# One named query per portable query, in the workgroup (Athena's console and API list them there).
resource "aws_athena_named_query" "this" {
  for_each = { for q in var.queries : q.name => q }

  name        = "${var.context.name_prefix}_${each.key}"
  description = each.value.description
  workgroup   = aws_athena_workgroup.this.id
  database    = each.value.database
  query       = each.value.sql
}
