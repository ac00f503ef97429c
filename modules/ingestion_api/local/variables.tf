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
  description = "Name of the ingestion API service."
  type        = string
}

variable "runtime_profile" {
  description = "The ICEFLOE_ runtime profile the API process reads (Kafka settings above all)."
  type        = map(string)
}

variable "webhook_secrets" {
  description = "Webhook signing secrets by profile key (ICEFLOE_SHOPIFY_WEBHOOK_SECRET, ...). Locally the development secrets; on AWS leave empty: the module creates Secrets Manager secrets whose values are set out of band, never in state."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "secret_names" {
  description = "Profile keys of the webhook signing secrets the API needs."
  type        = list(string)
  default     = ["ICEFLOE_SHOPIFY_WEBHOOK_SECRET", "ICEFLOE_STRIPE_WEBHOOK_SECRET", "ICEFLOE_HUBSPOT_CLIENT_SECRET"]
}

variable "image" {
  description = "Container image of the API (AWS; e.g. an ECR URI with a digest). Locally the API runs from .venv."
  type        = string
  default     = ""
}

variable "desired_count" {
  description = "Number of API tasks (AWS)."
  type        = number
  default     = 2
}

variable "certificate_arn" {
  description = "ACM certificate for the public HTTPS listener (AWS)."
  type        = string
  default     = ""
}

variable "kafka_cluster_arn" {
  description = "MSK cluster the API produces to (empty locally)."
  type        = string
  default     = ""
}
