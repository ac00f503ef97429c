output "engine" {
  description = "Query engine: trino locally, athena on AWS."
  value       = "athena"
}

output "catalog_name" {
  description = "Name under which queries see the Iceberg tables (Trino catalog / Athena data catalog)."
  value       = "AwsDataCatalog"
}

output "results_location" {
  description = "Where query results and the engine's configuration live."
  value       = aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (none yet)."
  value       = {}
}

output "queries" {
  description = "Names under which the portable queries are registered (Athena named queries / `icefloe query NAME`)."
  value       = sort([for q in aws_athena_named_query.this : q.name])
}
