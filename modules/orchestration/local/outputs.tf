output "environment_name" {
  description = "Name of the Airflow environment."
  value       = var.name
}

output "dags_uri" {
  description = "Where the DAGs are read from."
  value       = "s3://${var.artifacts_bucket}/dags/"
}

output "settings_location" {
  description = "Where the environment's settings live (env file locally, the MWAA environment ARN on AWS)."
  value       = module.this.path
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (none of its own)."
  value       = {}
}
