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

variable "name" {
  description = "Name of the query setup (the Athena workgroup on AWS, the Trino catalog locally)."
  type        = string
}

variable "runtime_profile" {
  description = "The ICEFLOE_ runtime profile (catalog and S3 settings) the query engine's catalog is built from."
  type        = map(string)
}

variable "force_destroy" {
  description = "Empty the query results bucket on destroy (AWS)."
  type        = bool
  default     = false
}

variable "queries" {
  description = "The portable queries (sql/queries/queries.yaml): name, description, default database and SQL text."
  type = list(object({
    name        = string
    description = string
    database    = string
    sql         = string
  }))
  default = []
}
