output "application_id" {
  description = "Where the batch jobs run: the EMR Serverless application id on AWS, `local` here."
  value       = aws_emrserverless_application.this.id
}

output "job_role_arn" {
  description = "Role the batch jobs run as (empty locally)."
  value       = aws_iam_role.job.arn
}

output "artifact_uris" {
  description = "S3 URI of each uploaded file, by object key."
  value       = { for k, o in aws_s3_object.artifacts : k => "s3://${o.bucket}/${o.key}" }
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (none: the jobs read the shared keys)."
  value       = {}
}
