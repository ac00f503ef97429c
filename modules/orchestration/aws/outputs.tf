output "environment_name" {
  description = "Name of the Airflow environment."
  value       = aws_mwaa_environment.this.name
}

output "dags_uri" {
  description = "Where the DAGs are read from."
  value       = "s3://${var.artifacts_bucket}/${aws_mwaa_environment.this.dag_s3_path}"
}

output "settings_location" {
  description = "Where the environment's settings live (env file locally, the MWAA environment ARN on AWS)."
  value       = aws_mwaa_environment.this.arn
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (none of its own)."
  value       = {}
}
