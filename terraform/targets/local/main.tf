# The local target: every concern's `local` implementation against the running local stack, and the
# runtime profile written to <state_dir>/profile.env, the file the local tools read.
locals {
  context = {
    name_prefix = var.name_prefix
    environment = var.environment
    region      = var.region
    tags        = var.tags
    local       = var.local_stack
    aws         = null
  }
}

module "object_store" {
  source = "../../modules/object_store/local"

  context       = local.context
  buckets       = var.buckets
  force_destroy = true
}

module "stream" {
  source = "../../modules/stream/local"

  context            = local.context
  topics             = var.topics
  partitions         = var.topic_partitions
  replication_factor = 1
}

module "catalog" {
  source = "../../modules/catalog/local"

  context          = local.context
  namespaces       = var.namespaces
  warehouse_bucket = module.object_store.bucket_names["warehouse"]
}

module "stream_job" {
  source = "../../modules/stream_job/local"

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
  source = "../../modules/batch_jobs/local"

  context          = local.context
  name             = "batch"
  artifacts_bucket = module.object_store.bucket_names["artifacts"]
  warehouse_bucket = module.object_store.bucket_names["warehouse"]
  artifacts        = var.batch_artifacts
}

module "ingestion_api" {
  source = "../../modules/ingestion_api/local"

  context         = local.context
  name            = "ingestion-api"
  runtime_profile = local.base_profile
  webhook_secrets = var.webhook_secrets
}

locals {
  # The profile without the parts that are computed from it (query, orchestration).
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
  profile_location = "${abspath(var.local_stack.state_dir)}/profile.env"
}

module "query" {
  source = "../../modules/query/local"

  context         = local.context
  name            = "iceberg"
  runtime_profile = local.base_profile
  queries         = var.queries
}

module "orchestration" {
  source = "../../modules/orchestration/local"

  context              = local.context
  name                 = "airflow"
  artifacts_bucket     = module.object_store.bucket_names["artifacts"]
  runtime_profile      = local.base_profile
  batch_application_id = module.batch_jobs.application_id
  batch_job_role_arn   = module.batch_jobs.job_role_arn
}

# The same file `icefloe local up` writes (same keys, same values: a test compares them with
# icefloe.config.local_profile), so either writer leaves the local tools a valid profile. Kept on
# destroy: the stack's endpoints outlive the buckets and topics this workspace manages.
module "profile_env" {
  source = "../../modules/local_file"

  path            = local.profile_location
  content         = join("", concat(["# Written by tofu (terraform/, workspace ${var.environment}): the runtime profile.\n"], [for k in sort(keys(local.profile)) : "${k}=${local.profile[k]}\n"]))
  keep_on_destroy = true
}
