# One Glue database per namespace. Jobs reach them as an Iceberg REST catalog through the Glue
# Iceberg REST endpoint (https://glue.<region>.amazonaws.com/iceberg, SigV4-signed, warehouse = the
# account's catalog id), so the same REST client code runs locally and on AWS.
locals {
  catalog_uri = "https://glue.${var.context.region}.amazonaws.com/iceberg"
}

resource "aws_glue_catalog_database" "this" {
  for_each = toset(var.namespaces)

  name         = each.value
  description  = "icefloe ${each.value} layer (Iceberg tables)"
  location_uri = "s3://${var.warehouse_bucket}/${each.value}"
  tags         = var.context.tags
}

# Catalog metadata (table definitions, connection passwords) encrypted with the platform key.
# This setting is account-wide per region: import it if the account already manages it elsewhere.
resource "aws_glue_data_catalog_encryption_settings" "this" {
  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.context.aws.kms_key_arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.context.aws.kms_key_arn
    }
  }
}
