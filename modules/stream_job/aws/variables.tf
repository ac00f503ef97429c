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
  description = "Name of the stream job (the Flink application on AWS)."
  type        = string
}

variable "artifacts_bucket" {
  description = "Bucket the job's files are uploaded to (from the object_store module)."
  type        = string
}

variable "checkpoints_bucket" {
  description = "Bucket for the job's checkpoints (from the object_store module)."
  type        = string
}

variable "warehouse_bucket" {
  description = "Bucket of the Iceberg warehouse the job writes raw tables to."
  type        = string
}

variable "artifacts" {
  description = "Files to upload: object key => local path (the Flink runner, the raw SQL template, sources.yaml; on AWS also the application zip)."
  type        = map(string)
}

variable "application_key" {
  description = "Object key (within `artifacts`) of the job's entry point: the runner script locally, the application zip on AWS."
  type        = string

  validation {
    condition     = length(var.application_key) > 0
    error_message = "application_key must name one of the uploaded artifacts."
  }
}

variable "parallelism" {
  description = "Parallelism of the job."
  type        = number
  default     = 1
}

variable "kafka_cluster_arn" {
  description = "ARN of the Kafka cluster the job reads (empty locally)."
  type        = string
  default     = ""
}

variable "runtime_properties" {
  description = "The ICEFLOE_ runtime profile handed to the job (Flink runtime properties on AWS)."
  type        = map(string)
  default     = {}
}
