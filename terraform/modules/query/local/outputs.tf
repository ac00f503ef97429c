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

output "named_queries" {
  description = "The saved queries (sql/queries/queries.yaml) by name: their SQL file (`icefloe query NAME` runs it on Trino)."
  value = { for q in yamldecode(file("${path.module}/../../../../sql/queries/queries.yaml")).queries :
  q.name => abspath("${path.module}/../../../../sql/queries/${q.file}") }
}
