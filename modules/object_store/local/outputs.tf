output "bucket_names" {
  description = "Bucket name by purpose (warehouse, artifacts, checkpoints)."
  value       = { for k, b in minio_s3_bucket.this : k => b.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN by purpose."
  value       = { for k, b in minio_s3_bucket.this : k => b.arn }
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile."
  value = {
    ICEFLOE_S3_ENDPOINT          = local.endpoint
    ICEFLOE_S3_PATH_STYLE        = "true"
    ICEFLOE_S3_ACCESS_KEY_ID     = var.context.local.s3_access_key
    ICEFLOE_S3_SECRET_ACCESS_KEY = var.context.local.s3_secret_key
    ICEFLOE_WAREHOUSE_BUCKET     = minio_s3_bucket.this["warehouse"].bucket
    ICEFLOE_ARTIFACTS_BUCKET     = minio_s3_bucket.this["artifacts"].bucket
    ICEFLOE_CHECKPOINTS_BUCKET   = minio_s3_bucket.this["checkpoints"].bucket
  }
}
