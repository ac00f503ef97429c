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
  description = "Name of the batch application (the EMR Serverless application on AWS)."
  type        = string
}

variable "artifacts_bucket" {
  description = "Bucket the job files are uploaded to (from the object_store module)."
  type        = string
}

variable "warehouse_bucket" {
  description = "Bucket of the Iceberg warehouse the jobs read and write."
  type        = string
}

variable "artifacts" {
  description = "Files to upload: object key => local path (the Spark jobs, their configuration, the SQL models)."
  type        = map(string)
}

variable "release_label" {
  description = "EMR release of the Spark runtime (AWS); the local jobs use the Spark of .venv-spark."
  type        = string
  default     = "emr-7.12.0"
}

variable "max_capacity" {
  description = "Upper bound of the application's resources (AWS)."
  type = object({
    cpu    = string
    memory = string
  })
  default = {
    cpu    = "16 vCPU"
    memory = "64 GB"
  }
}
