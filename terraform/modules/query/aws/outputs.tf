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

output "named_queries" {
  description = "The saved queries (sql/queries/queries.yaml) by name: their Athena named query ids."
  value       = { for k, q in aws_athena_named_query.saved : k => q.id }
}
