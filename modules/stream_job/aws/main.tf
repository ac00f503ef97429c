# Managed Service for Apache Flink application (PyFlink) built from the uploaded artifact, running in
# the private subnets, reading Kafka with IAM auth, writing Iceberg tables through the Glue catalog.
# Its role may read the artifacts, write the warehouse and checkpoints, use the platform key, and
# consume the platform's topics: nothing else.
locals {
  kafka_topic_arn_prefix = replace(var.kafka_cluster_arn, ":cluster/", ":topic/")
  kafka_group_arn_prefix = replace(var.kafka_cluster_arn, ":cluster/", ":group/")
}

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

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["kinesisanalytics.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.context.aws.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.context.name_prefix}-${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.context.tags
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ReadArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for k in keys(var.artifacts) : "arn:aws:s3:::${var.artifacts_bucket}/${k}"]
  }
  statement {
    sid     = "WriteWarehouseAndCheckpoints"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [
      "arn:aws:s3:::${var.warehouse_bucket}/raw/*",
      "arn:aws:s3:::${var.checkpoints_bucket}/${var.name}/*",
    ]
  }
  statement {
    sid       = "ListWarehouseAndCheckpoints"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = ["arn:aws:s3:::${var.warehouse_bucket}", "arn:aws:s3:::${var.checkpoints_bucket}"]
  }
  statement {
    sid = "GlueRawTables"
    actions = [
      "glue:GetCatalog", "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
      "glue:UpdateTable",
    ]
    resources = [
      "arn:aws:glue:${var.context.region}:${var.context.aws.account_id}:catalog",
      "arn:aws:glue:${var.context.region}:${var.context.aws.account_id}:database/raw",
      "arn:aws:glue:${var.context.region}:${var.context.aws.account_id}:table/raw/*",
    ]
  }
  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = [var.kafka_cluster_arn]
  }
  statement {
    sid       = "KafkaRead"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.kafka_topic_arn_prefix}/*"]
  }
  statement {
    sid       = "KafkaConsumerGroup"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = ["${local.kafka_group_arn_prefix}/${var.name}*"]
  }
  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.context.aws.kms_key_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeDhcpOptions",
      "ec2:DescribeNetworkInterfaces", "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface",
    ]
    # These EC2 calls support no resource-level scoping; the VPC condition bounds them.
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:Vpc"
      values   = ["arn:aws:ec2:${var.context.region}:${var.context.aws.account_id}:vpc/${var.context.aws.vpc_id}"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.job.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/icefloe/${var.context.name_prefix}-${var.name}"
  retention_in_days = var.context.aws.log_retention_days
  kms_key_id        = var.context.aws.kms_key_arn
  tags              = var.context.tags
}

resource "aws_cloudwatch_log_stream" "this" {
  name           = "application"
  log_group_name = aws_cloudwatch_log_group.this.name
}

data "aws_vpc" "this" {
  id = var.context.aws.vpc_id
}

resource "aws_security_group" "this" {
  # checkov:skip=CKV2_AWS_5: attached through the Flink application's vpc_configuration, a resource type checkov does not follow.
  name        = "${var.context.name_prefix}-${var.name}"
  description = "Stream job: Kafka in the VPC and AWS APIs over TLS"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags
}

resource "aws_vpc_security_group_egress_rule" "kafka" {
  security_group_id = aws_security_group.this.id
  description       = "Kafka SASL/IAM over TLS inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 9098
  to_port           = 9098
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "AWS APIs (S3, Glue, KMS) over TLS through VPC endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_kinesisanalyticsv2_application" "this" {
  name                   = "${var.context.name_prefix}-${var.name}"
  runtime_environment    = "FLINK-1_20"
  service_execution_role = aws_iam_role.this.arn
  start_application      = false
  tags                   = var.context.tags

  application_configuration {
    application_code_configuration {
      code_content_type = "ZIPFILE"
      code_content {
        s3_content_location {
          bucket_arn = "arn:aws:s3:::${var.artifacts_bucket}"
          file_key   = aws_s3_object.artifacts[var.application_key].key
        }
      }
    }

    application_encryption_configuration {
      key_type = "CUSTOMER_MANAGED_KEY"
      key_id   = var.context.aws.kms_key_arn
    }

    application_snapshot_configuration {
      snapshots_enabled = true
    }

    environment_properties {
      property_group {
        property_group_id = "kinesis.analytics.flink.run.options"
        property_map = {
          python  = "jobs/flink/runner.py"
          jarfile = "jobs/flink/lib/icefloe-flink-app.jar" # the layout `icefloe flink package` writes
        }
      }
      property_group {
        property_group_id = "icefloe"
        property_map      = var.runtime_properties
      }
    }

    flink_application_configuration {
      checkpoint_configuration {
        configuration_type = "DEFAULT"
      }
      monitoring_configuration {
        configuration_type = "CUSTOM"
        log_level          = "INFO"
        metrics_level      = "APPLICATION"
      }
      parallelism_configuration {
        configuration_type   = "CUSTOM"
        auto_scaling_enabled = false
        parallelism          = var.parallelism
        parallelism_per_kpu  = 1
      }
    }

    vpc_configuration {
      subnet_ids         = var.context.aws.private_subnet_ids
      security_group_ids = [aws_security_group.this.id]
    }
  }

  cloudwatch_logging_options {
    log_stream_arn = aws_cloudwatch_log_stream.this.arn
  }
}
