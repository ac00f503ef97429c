# The local query engine is Trino; its Iceberg catalog file (the REST catalog and the local S3) is
# written to <state_dir>/trino/catalog/<name>.properties, the directory the local Trino reads.
locals {
  p = var.runtime_profile
  properties = {
    "connector.name"                           = "iceberg"
    "iceberg.catalog.type"                     = "rest"
    "iceberg.rest-catalog.uri"                 = local.p["ICEFLOE_CATALOG_URI"]
    "iceberg.rest-catalog.warehouse"           = local.p["ICEFLOE_CATALOG_WAREHOUSE"]
    "fs.native-s3.enabled"                     = "true"
    "s3.endpoint"                              = local.p["ICEFLOE_S3_ENDPOINT"]
    "s3.path-style-access"                     = local.p["ICEFLOE_S3_PATH_STYLE"]
    "s3.region"                                = local.p["ICEFLOE_REGION"]
    "s3.aws-access-key"                        = local.p["ICEFLOE_S3_ACCESS_KEY_ID"]
    "s3.aws-secret-key"                        = local.p["ICEFLOE_S3_SECRET_ACCESS_KEY"]
    "iceberg.file-format"                      = "PARQUET"
    "iceberg.compression-codec"                = "ZSTD"
    "iceberg.unique-table-location"            = "true"
    "iceberg.register-table-procedure.enabled" = "false"
  }
  path = "${abspath(var.context.local.state_dir)}/trino/catalog/${var.name}.properties"
}

module "this" {
  source = "../../local_file"

  path    = local.path
  content = join("", [for k in sort(keys(local.properties)) : "${k}=${local.properties[k]}\n"])
}
