output "profile" {
  description = "The ICEFLOE_ runtime profile of this deployment."
  value       = local.profile
  sensitive   = true
}

output "buckets" {
  description = "Bucket names by purpose."
  value       = module.object_store.bucket_names
}

output "topics" {
  description = "Kafka topics created."
  value       = module.stream.topic_names
}

output "namespaces" {
  description = "Iceberg namespaces created."
  value       = module.catalog.namespaces
}

output "artifact_uris" {
  description = "Uploaded job files, by object key."
  value       = merge(module.stream_job.artifact_uris, module.batch_jobs.artifact_uris)
}

output "profile_location" {
  description = "Where the runtime profile is published (the env file locally, the SSM parameter on AWS)."
  value       = local.profile_location
}

output "queries" {
  description = "Names under which the portable queries are registered."
  value       = module.query.queries
}
