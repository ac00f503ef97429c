output "bucket_names" {
  description = "Bucket name by purpose (warehouse, artifacts, checkpoints)."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (no endpoint or keys: IAM roles sign requests)."
  value = {
    ICEFLOE_S3_ENDPOINT        = ""
    ICEFLOE_S3_PATH_STYLE      = "false"
    ICEFLOE_WAREHOUSE_BUCKET   = aws_s3_bucket.this["warehouse"].bucket
    ICEFLOE_ARTIFACTS_BUCKET   = aws_s3_bucket.this["artifacts"].bucket
    ICEFLOE_CHECKPOINTS_BUCKET = aws_s3_bucket.this["checkpoints"].bucket
  }
}
