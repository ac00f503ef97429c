output "namespaces" {
  description = "Namespaces (Glue databases on AWS) created."
  value       = sort(keys(restapi_object.this))
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile."
  value = {
    ICEFLOE_CATALOG_URI       = local.catalog_uri
    ICEFLOE_CATALOG_WAREHOUSE = "s3://${var.warehouse_bucket}/"
    ICEFLOE_CATALOG_SIGV4     = "false"
  }
}
