output "job_name" {
  description = "Name of the stream job."
  value       = aws_kinesisanalyticsv2_application.this.name
}

output "artifact_uris" {
  description = "S3 URI of each uploaded file, by object key."
  value       = { for k, o in aws_s3_object.artifacts : k => "s3://${o.bucket}/${o.key}" }
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile: where the job checkpoints."
  value = {
    ICEFLOE_CHECKPOINT_DIR = "s3://${var.checkpoints_bucket}/${var.name}/"
  }
}
