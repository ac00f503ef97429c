output "job_name" {
  description = "Name of the stream job."
  value       = var.name
}

output "artifact_uris" {
  description = "S3 URI of each uploaded file, by object key."
  value       = { for k, o in minio_s3_object.this : k => "s3://${o.bucket_name}/${o.object_name}" }
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile: where the job checkpoints."
  value = {
    ICEFLOE_CHECKPOINT_DIR = "file://${abspath(var.context.local.state_dir)}/data/flink-checkpoints"
  }
}
