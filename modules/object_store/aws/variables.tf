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

variable "buckets" {
  description = "Bucket name for each purpose: the Iceberg warehouse, the job artifacts and the stream job's checkpoints."
  type = object({
    warehouse   = string
    artifacts   = string
    checkpoints = string
  })
}

variable "force_destroy" {
  description = "Empty the buckets on destroy (true for disposable local stacks; keep false on AWS)."
  type        = bool
  default     = false
}
