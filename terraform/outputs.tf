output "profile" {
  description = "The ICEFLOE_ runtime profile (the contract every job and service reads): `tofu output -json profile`."
  value       = module.platform.profile
  sensitive   = true
}

output "profile_location" {
  description = "Where the profile is published: the env file the local tools read, or the SSM parameter on AWS."
  value       = module.platform.profile_location
}

output "buckets" {
  description = "Bucket names by purpose."
  value       = module.platform.buckets
}

output "topics" {
  description = "Kafka topics."
  value       = module.platform.topics
}

output "namespaces" {
  description = "Iceberg namespaces."
  value       = module.platform.namespaces
}

output "artifact_uris" {
  description = "Uploaded job files by object key."
  value       = module.platform.artifact_uris
}

output "queries" {
  description = "Names under which the portable queries are registered (Athena named queries on AWS)."
  value       = module.platform.queries
}
