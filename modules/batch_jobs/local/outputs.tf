output "application_id" {
  description = "Where the batch jobs run: the EMR Serverless application id on AWS, `local` here."
  value       = "local"
}

output "job_role_arn" {
  description = "Role the batch jobs run as (empty locally)."
  value       = ""
}

output "artifact_uris" {
  description = "S3 URI of each uploaded file, by object key."
  value       = { for k, o in minio_s3_object.this : k => "s3://${o.bucket_name}/${o.object_name}" }
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (none: the jobs read the shared keys)."
  value       = {}
}
