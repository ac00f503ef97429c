# The interface every target implements (terraform/targets/<target>): the root configuration passes
# the same variables to whichever target its `target` variable selects.

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "environment" {
  description = "Environment name written to ICEFLOE_ENVIRONMENT (the workspace name)."
  type        = string
}

variable "region" {
  description = "AWS region (locally the region the S3 clients sign for)."
  type        = string
}

variable "tags" {
  description = "Tags on every resource that takes them."
  type        = map(string)
}

variable "local_stack" {
  description = "The running local stack (target local): host, ports, state directory and S3 keys."
  type = object({
    host          = string
    state_dir     = string
    s3_port       = number
    kafka_port    = number
    catalog_port  = number
    api_port      = number
    s3_access_key = string
    s3_secret_key = string
  })
}

variable "aws" {
  description = "The AWS account's network and settings (target aws)."
  type = object({
    vpc_id                   = string
    private_subnet_ids       = list(string)
    public_subnet_ids        = list(string)
    log_retention_days       = number
    api_image                = string
    api_certificate_arn      = string
    api_desired_count        = number
    kafka_replication_factor = number
  })
}

variable "buckets" {
  description = "Bucket names: warehouse, artifacts, checkpoints."
  type = object({
    warehouse   = string
    artifacts   = string
    checkpoints = string
  })
}

variable "topics" {
  description = "Kafka topics (from sources.yaml plus the dead-letter topic)."
  type        = list(string)
}

variable "topic_partitions" {
  description = "Partitions per topic."
  type        = number
}

variable "namespaces" {
  description = "Iceberg namespaces."
  type        = list(string)
}

variable "stream_artifacts" {
  description = "Files of the stream job: object key => local path."
  type        = map(string)
}

variable "stream_application_key" {
  description = "Object key of the stream job's entry point."
  type        = string
}

variable "batch_artifacts" {
  description = "Files of the batch jobs: object key => local path."
  type        = map(string)
}

variable "webhook_secrets" {
  description = "Webhook signing secrets by profile key (local development values; empty on AWS)."
  type        = map(string)
  sensitive   = true
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
