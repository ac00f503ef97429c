output "engine" {
  description = "Query engine: trino locally, athena on AWS."
  value       = "trino"
}

output "catalog_name" {
  description = "Name under which queries see the Iceberg tables (Trino catalog / Athena data catalog)."
  value       = var.name
}

output "results_location" {
  description = "Where query results and the engine's configuration live."
  value       = module.this.path
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile (none yet)."
  value       = {}
}

output "queries" {
  description = "Names under which the portable queries are registered (Athena named queries / `icefloe query NAME`)."
  value       = sort([for q in var.queries : q.name]) # locally `icefloe query` reads queries.yaml itself
}
