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

variable "topics" {
  description = "Topic names: one per sources.yaml entry (`<source>.<object>`) plus the dead-letter topic."
  type        = list(string)

  validation {
    condition     = alltrue([for t in var.topics : can(regex("^[a-zA-Z0-9._-]{1,249}$", t))])
    error_message = "Topic names may use letters, digits, '.', '_' and '-' (at most 249 characters); fix sources.yaml."
  }
}

variable "partitions" {
  description = "Partitions per topic."
  type        = number
  default     = 3
}

variable "replication_factor" {
  description = "Replicas per partition (1 on the single local broker, 3 on MSK)."
  type        = number
  default     = 1
}

variable "retention_ms" {
  description = "How long a topic keeps records, in milliseconds."
  type        = number
  default     = 604800000
}
