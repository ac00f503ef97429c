variable "context" {
  description = "Settings every module shares: naming, tags, region, and the target's own facts (`local`: the local stack's endpoints; `aws`: the network and the KMS key). Built once by the target wiring (terraform/targets/<target>)."
  type = object({
    name_prefix = string
    environment = string
    region      = string
    tags        = map(string)
    local = optional(object({
      host          = string
      state_dir     = string
      s3_port       = number
      kafka_port    = number
      catalog_port  = number
      api_port      = number
      s3_access_key = string
      s3_secret_key = string
    }))
    aws = optional(object({
      account_id         = string
      vpc_id             = string
      private_subnet_ids = list(string)
      public_subnet_ids  = list(string)
      kms_key_arn        = string
      log_retention_days = number
    }))
  })
}

variable "namespaces" {
  description = "Iceberg namespaces, one per layer (raw, staging, semantic, core, analytics, marts, metadata)."
  type        = list(string)

  validation {
    condition     = alltrue([for n in var.namespaces : can(regex("^[a-z][a-z0-9_]{0,254}$", n))])
    error_message = "Namespace names must be lower-case letters, digits and '_' (Glue database rules)."
  }
}

variable "warehouse_bucket" {
  description = "Bucket holding the Iceberg tables (from the object_store module)."
  type        = string
}
