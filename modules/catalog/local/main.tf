# Namespaces on the local Iceberg REST catalog, through its REST API (POST /v1/namespaces,
# GET|DELETE /v1/namespaces/{ns}). The REST spec has no PUT for a namespace, so any change of the
# request body replaces the namespace (force_new) instead of updating it.
locals {
  catalog_uri = "http://${var.context.local.host}:${var.context.local.catalog_port}"
}

resource "restapi_object" "this" {
  for_each = toset(var.namespaces)

  path      = "/v1/namespaces"
  object_id = each.value
  data      = jsonencode({ namespace = [each.value], properties = {} })
  force_new = ["data"]
}
