# EMR Serverless Spark application in the private subnets, and the role its jobs run as: read the
# job files, read/write the warehouse, use the Glue catalog's icefloe databases and the platform key.
resource "aws_s3_object" "artifacts" {
  for_each = var.artifacts

  bucket                 = var.artifacts_bucket
  key                    = each.key
  source                 = each.value
  source_hash            = filemd5(each.value)
  server_side_encryption = "aws:kms"
  kms_key_id             = var.context.aws.kms_key_arn
  tags                   = var.context.tags
}

data "aws_vpc" "this" {
  id = var.context.aws.vpc_id
}

resource "aws_security_group" "this" {
  # checkov:skip=CKV2_AWS_5: attached through the EMR Serverless application's network_configuration, a resource type checkov does not follow.
  name        = "${var.context.name_prefix}-${var.name}"
  description = "Batch jobs: AWS APIs over TLS through VPC endpoints"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "AWS APIs (S3, Glue, KMS) over TLS through VPC endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_emrserverless_application" "this" {
  name          = "${var.context.name_prefix}-${var.name}"
  release_label = var.release_label
  type          = "spark"
  architecture  = "ARM64"
  tags          = var.context.tags

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = 15
  }

  maximum_capacity {
    cpu    = var.max_capacity.cpu
    memory = var.max_capacity.memory
  }

  network_configuration {
    subnet_ids         = var.context.aws.private_subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  monitoring_configuration {
    cloudwatch_logging_configuration {
      enabled            = true
      log_group_name     = aws_cloudwatch_log_group.this.name
      encryption_key_arn = var.context.aws.kms_key_arn
    }
    managed_persistence_monitoring_configuration {
      enabled            = true
      encryption_key_arn = var.context.aws.kms_key_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/icefloe/${var.context.name_prefix}-${var.name}"
  retention_in_days = var.context.aws.log_retention_days
  kms_key_id        = var.context.aws.kms_key_arn
  tags              = var.context.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.context.aws.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  name               = "${var.context.name_prefix}-${var.name}-job"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.context.tags
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ReadJobFiles"
    actions   = ["s3:GetObject"]
    resources = [for k in keys(var.artifacts) : "arn:aws:s3:::${var.artifacts_bucket}/${k}"]
  }
  statement {
    sid       = "Warehouse"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["arn:aws:s3:::${var.warehouse_bucket}/*"]
  }
  statement {
    sid       = "ListWarehouse"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = ["arn:aws:s3:::${var.warehouse_bucket}"]
  }
  statement {
    sid = "GlueCatalog"
    actions = [
      "glue:GetCatalog", "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables",
      "glue:CreateTable", "glue:UpdateTable", "glue:GetPartitions",
    ]
    resources = [
      "arn:aws:glue:${var.context.region}:${var.context.aws.account_id}:catalog",
      "arn:aws:glue:${var.context.region}:${var.context.aws.account_id}:database/*",
      "arn:aws:glue:${var.context.region}:${var.context.aws.account_id}:table/*/*",
    ]
  }
  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.context.aws.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "job" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}
