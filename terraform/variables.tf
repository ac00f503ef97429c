variable "target" {
  description = "Which implementation of every concern to deploy: `local` (the local stack) or `aws`. Must equal the workspace name."
  type        = string

  validation {
    condition     = contains(["local", "aws"], var.target)
    error_message = "target must be \"local\" or \"aws\": pass -var-file=local.tfvars or -var-file=aws.tfvars."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "icefloe"
}

variable "region" {
  description = "AWS region to deploy to (locally: the region the S3 clients sign for)."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Tags on every resource that takes them."
  type        = map(string)
  default     = { Project = "icefloe", ManagedBy = "opentofu" }
}

variable "sources_file" {
  description = "The sources declaration; one Kafka topic per entry (`<source>.<object>`) plus the dead-letter topic."
  type        = string
  default     = "../sources.yaml"
}

variable "namespaces" {
  description = "Iceberg namespaces (Glue databases on AWS), one per layer."
  type        = list(string)
  default     = ["raw", "staging", "semantic", "core", "analytics", "marts", "metadata"]
}

variable "topic_prefix" {
  description = "Prefix of every topic name (empty in real deployments; tests use one to stay apart from the stack's own topics)."
  type        = string
  default     = ""
}

variable "topic_partitions" {
  description = "Partitions per Kafka topic."
  type        = number
  default     = 3
}

variable "buckets" {
  description = "Bucket names by purpose (on AWS suffixed with the account id)."
  type = object({
    warehouse   = string
    artifacts   = string
    checkpoints = string
  })
  default = {
    warehouse   = "icefloe-warehouse"
    artifacts   = "icefloe-artifacts"
    checkpoints = "icefloe-checkpoints"
  }
}

variable "local_stack" {
  description = "The running local stack (target local). Match the ICEFLOE_*_PORT variables the stack was started with."
  type = object({
    host          = optional(string, "127.0.0.1")
    state_dir     = optional(string, "../.icefloe")
    s3_port       = optional(number, 18333)
    kafka_port    = optional(number, 19092)
    catalog_port  = optional(number, 18181)
    api_port      = optional(number, 8090)
    s3_access_key = optional(string, "icefloe")
    s3_secret_key = optional(string, "icefloe-local-secret")
  })
  default = {}
}

variable "aws" {
  description = "The AWS account's network and service settings (target aws); see aws.tfvars."
  type = object({
    vpc_id                   = string
    private_subnet_ids       = list(string)
    public_subnet_ids        = list(string)
    log_retention_days       = optional(number, 365)
    api_image                = string
    api_certificate_arn      = string
    api_desired_count        = optional(number, 2)
    kafka_replication_factor = optional(number, 3)
  })
  default = null
}

variable "stream_application_zip" {
  description = "Path of the Managed Flink application zip (target aws): the PyFlink runner with its jar dependencies."
  type        = string
  default     = ""
}

variable "webhook_secrets" {
  description = "Webhook signing secrets by profile key (target local: the development secrets; on AWS leave empty and set them in Secrets Manager)."
  type        = map(string)
  default     = {}
  sensitive   = true
}
