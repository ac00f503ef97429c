output "namespaces" {
  description = "Namespaces (Glue databases on AWS) created."
  value       = sort(keys(aws_glue_catalog_database.this))
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile: the Glue Iceberg REST endpoint, SigV4."
  value = {
    ICEFLOE_CATALOG_URI       = local.catalog_uri
    ICEFLOE_CATALOG_WAREHOUSE = var.context.aws.account_id
    ICEFLOE_CATALOG_SIGV4     = "true"
  }
}
