# icefloe's root configuration: one per deployment, two workspaces.
#
#   tofu workspace select local   + -var-file=local.tfvars   -> targets/local (the local stack)
#   tofu workspace select aws     + -var-file=aws.tfvars     -> targets/aws   (an AWS account)
#
# Both targets implement the same interface (terraform/targets/*/variables.tf, outputs.tf), built
# from modules/<concern>/{local,aws} that share one interface per concern; tests check the sameness.
locals {
  repo_root = abspath("${path.root}/..")
  sources   = yamldecode(file("${path.root}/${var.sources_file}"))
  topics = sort(distinct(concat(
    [for s in local.sources.sources : "${var.topic_prefix}${s.source}.${s.object}"],
    ["${var.topic_prefix}${local.sources.dead_letter_topic}"],
  )))

  # Job files, uploaded under their repository paths (the keys the jobs are started from).
  job_files = [for f in fileset(local.repo_root, "{jobs/**,sql/**,sources.yaml}") : f
  if !strcontains(f, "__pycache__") && !endswith(f, ".pyc")]
  stream_files = [for f in local.job_files : f
  if startswith(f, "jobs/flink/") || startswith(f, "sql/00_raw/") || f == "sources.yaml"]
  stream_artifacts = merge(
    { for f in local.stream_files : f => "${local.repo_root}/${f}" },
    var.stream_application_zip == "" ? {} : { "jobs/flink/application.zip" = abspath(var.stream_application_zip) },
  )
  batch_artifacts = { for f in local.job_files : f => "${local.repo_root}/${f}" if !contains(local.stream_files, f) }

  # The portable queries (one SQL dialect for Trino and Athena), registered by the query concern.
  queries = [for q in yamldecode(file("${local.repo_root}/sql/queries/queries.yaml")).queries : {
    name        = q.name
    description = q.description
    database    = q.database
    sql         = file("${local.repo_root}/sql/queries/${q.file}")
  }]
}

# Fail early and clearly on a workspace/tfvars mismatch or a missing aws input.
resource "terraform_data" "guard" {
  input = var.target

  lifecycle {
    precondition {
      condition     = terraform.workspace == var.target
      error_message = "Workspace \"${terraform.workspace}\" does not match target \"${var.target}\": run `tofu workspace select ${var.target}` (or pass -var-file=${terraform.workspace}.tfvars)."
    }
    precondition {
      condition     = var.target != "aws" || (var.aws != null && var.stream_application_zip != "")
      error_message = "Target aws needs the `aws` object (VPC, subnets, API image and certificate) and `stream_application_zip` in aws.tfvars."
    }
  }
}

module "platform" {
  source = "./targets/${var.target}"

  name_prefix            = var.name_prefix
  environment            = terraform.workspace
  region                 = var.region
  tags                   = merge(var.tags, { Environment = terraform.workspace })
  local_stack            = var.target == "local" ? var.local_stack : null
  aws                    = var.aws
  buckets                = var.buckets
  topics                 = local.topics
  topic_partitions       = var.topic_partitions
  namespaces             = var.namespaces
  stream_artifacts       = local.stream_artifacts
  stream_application_key = var.target == "aws" ? "jobs/flink/application.zip" : "jobs/flink/runner.py"
  batch_artifacts        = local.batch_artifacts
  webhook_secrets        = var.webhook_secrets
  queries                = local.queries
}
