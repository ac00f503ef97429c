# The aws target: every concern's `aws` implementation in the given account, region and VPC, one
# customer-managed KMS key for the platform, and the runtime profile published to SSM Parameter
# Store (the local target writes it to an env file instead).
data "aws_caller_identity" "this" {}

data "aws_iam_policy_document" "platform_key" {
  # checkov:skip=CKV_AWS_109: key policy: the account root statement delegates access to IAM (AWS's default key policy); "*" is this key only.
  # checkov:skip=CKV_AWS_111: key policy: "*" as resource means this key only; writers are bounded by IAM and the logs encryption-context condition.
  # checkov:skip=CKV_AWS_356: key policy: "*" as resource means this key only.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.this.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogsEncryptsPlatformLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${var.region}:${data.aws_caller_identity.this.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "platform" {
  description             = "${var.name_prefix}: data at rest (buckets, Kafka, catalog, logs, secrets)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.platform_key.json
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${var.name_prefix}-platform"
  target_key_id = aws_kms_key.platform.key_id
}

locals {
  context = {
    name_prefix = var.name_prefix
    environment = var.environment
    region      = var.region
    tags        = var.tags
    local       = null
    aws = {
      account_id         = data.aws_caller_identity.this.account_id
      vpc_id             = var.aws.vpc_id
      private_subnet_ids = var.aws.private_subnet_ids
      public_subnet_ids  = var.aws.public_subnet_ids
      kms_key_arn        = aws_kms_key.platform.arn
      log_retention_days = var.aws.log_retention_days
    }
  }
  # Globally unique bucket names: the tfvars names suffixed with the account id.
  buckets = { for k, v in var.buckets : k => "${v}-${data.aws_caller_identity.this.account_id}" }
}

module "object_store" {
  source = "../../modules/object_store/aws"

  context       = local.context
  buckets       = local.buckets
  force_destroy = false
}

module "stream" {
  source = "../../modules/stream/aws"

  context            = local.context
  topics             = var.topics
  partitions         = var.topic_partitions
  replication_factor = var.aws.kafka_replication_factor
}

module "catalog" {
  source = "../../modules/catalog/aws"

  context          = local.context
  namespaces       = var.namespaces
  warehouse_bucket = module.object_store.bucket_names["warehouse"]
}

module "stream_job" {
  source = "../../modules/stream_job/aws"

  context            = local.context
  name               = "raw-ingest"
  artifacts_bucket   = module.object_store.bucket_names["artifacts"]
  checkpoints_bucket = module.object_store.bucket_names["checkpoints"]
  warehouse_bucket   = module.object_store.bucket_names["warehouse"]
  artifacts          = var.stream_artifacts
  application_key    = var.stream_application_key
  kafka_cluster_arn  = module.stream.cluster_arn
  runtime_properties = local.base_profile
}

module "batch_jobs" {
  source = "../../modules/batch_jobs/aws"

  context          = local.context
  name             = "batch"
  artifacts_bucket = module.object_store.bucket_names["artifacts"]
  warehouse_bucket = module.object_store.bucket_names["warehouse"]
  artifacts        = var.batch_artifacts
}

module "ingestion_api" {
  source = "../../modules/ingestion_api/aws"

  context           = local.context
  name              = "ingestion-api"
  runtime_profile   = local.base_profile
  webhook_secrets   = var.webhook_secrets
  image             = var.aws.api_image
  desired_count     = var.aws.api_desired_count
  certificate_arn   = var.aws.api_certificate_arn
  kafka_cluster_arn = module.stream.cluster_arn
}

locals {
  base_profile = merge(
    { ICEFLOE_ENVIRONMENT = var.environment, ICEFLOE_REGION = var.region },
    module.object_store.profile,
    module.stream.profile,
    module.catalog.profile,
  )
  profile = merge(
    local.base_profile,
    module.stream_job.profile,
    module.batch_jobs.profile,
    module.ingestion_api.profile,
    module.query.profile,
    module.orchestration.profile,
  )
  profile_location = "ssm:/${var.name_prefix}/profile"
}

module "query" {
  source = "../../modules/query/aws"

  context         = local.context
  name            = "analytics"
  runtime_profile = local.base_profile
  queries         = var.queries
}

module "orchestration" {
  source = "../../modules/orchestration/aws"

  context              = local.context
  name                 = "airflow"
  artifacts_bucket     = module.object_store.bucket_names["artifacts"]
  runtime_profile      = local.base_profile
  batch_application_id = module.batch_jobs.application_id
  batch_job_role_arn   = module.batch_jobs.job_role_arn
}

# The runtime profile for tools outside the VPC (`icefloe` against AWS, CI): one SecureString.
resource "aws_ssm_parameter" "profile" {
  name   = "/${var.name_prefix}/profile"
  type   = "SecureString"
  key_id = aws_kms_key.platform.arn
  value  = jsonencode(local.profile)
}
