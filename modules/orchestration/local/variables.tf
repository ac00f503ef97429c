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
  description = "Name of the Airflow environment."
  type        = string
}

variable "artifacts_bucket" {
  description = "Bucket holding the DAGs under `dags/` (from the object_store module)."
  type        = string
}

variable "runtime_profile" {
  description = "The ICEFLOE_ runtime profile the DAG tasks read."
  type        = map(string)
}

variable "batch_application_id" {
  description = "EMR Serverless application the DAGs submit Spark jobs to (`local` locally)."
  type        = string
}

variable "batch_job_role_arn" {
  description = "Role the submitted Spark jobs run as (empty locally)."
  type        = string
}

variable "airflow_version" {
  description = "Airflow version (MWAA on AWS)."
  type        = string
  default     = "2.10.3"
}
