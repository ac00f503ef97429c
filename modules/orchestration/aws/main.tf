# MWAA environment in the private subnets, private web server, KMS encryption, all logs on. The
# execution role may read the DAGs, write its logs and metrics, use its Celery queues and the
# platform key, and submit Spark jobs to the batch application as the batch job role.
locals {
  env_name = "${var.context.name_prefix}-${var.name}"
  env_arn  = "arn:aws:airflow:${var.context.region}:${var.context.aws.account_id}:environment/${local.env_name}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.context.aws.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.env_name}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.context.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PublishMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = [local.env_arn]
  }
  statement {
    sid       = "ReadDags"
    actions   = ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]
    resources = ["arn:aws:s3:::${var.artifacts_bucket}", "arn:aws:s3:::${var.artifacts_bucket}/dags/*"]
  }
  statement {
    sid = "Logs"
    actions = [
      "logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents",
      "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults",
    ]
    resources = ["arn:aws:logs:${var.context.region}:${var.context.aws.account_id}:log-group:airflow-${local.env_name}-*"]
  }
  statement {
    sid = "CeleryQueues"
    actions = [
      "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
      "sqs:ReceiveMessage", "sqs:SendMessage",
    ]
    resources = ["arn:aws:sqs:${var.context.region}:*:airflow-celery-*"]
  }
  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"]
    resources = [var.context.aws.kms_key_arn]
  }
  statement {
    sid       = "SubmitSparkJobs"
    actions   = ["emr-serverless:StartJobRun", "emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"]
    resources = ["arn:aws:emr-serverless:${var.context.region}:${var.context.aws.account_id}:/applications/${var.batch_application_id}", "arn:aws:emr-serverless:${var.context.region}:${var.context.aws.account_id}:/applications/${var.batch_application_id}/jobruns/*"]
  }
  statement {
    sid       = "PassBatchJobRole"
    actions   = ["iam:PassRole"]
    resources = [var.batch_job_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_security_group" "this" {
  name        = local.env_name
  description = "MWAA workers and web server: self traffic and AWS APIs over TLS"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags
}

resource "aws_vpc_security_group_ingress_rule" "self" {
  # checkov:skip=CKV_AWS_24: the source is this security group itself (MWAA's required self-reference), not 0.0.0.0/0; checkov reads a rule without a CIDR as open.
  # checkov:skip=CKV_AWS_25: same self-referencing rule as above, not open to 0.0.0.0/0.
  # checkov:skip=CKV_AWS_260: same self-referencing rule as above, not open to 0.0.0.0/0.
  security_group_id            = aws_security_group.this.id
  description                  = "MWAA components talk to each other"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "AWS APIs and the MWAA service over TLS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "self" {
  security_group_id            = aws_security_group.this.id
  description                  = "MWAA components talk to each other (metadata database, Celery)"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_mwaa_environment" "this" {
  name                  = local.env_name
  airflow_version       = var.airflow_version
  environment_class     = "mw1.small"
  execution_role_arn    = aws_iam_role.execution.arn
  source_bucket_arn     = "arn:aws:s3:::${var.artifacts_bucket}"
  dag_s3_path           = "dags/"
  kms_key               = var.context.aws.kms_key_arn
  webserver_access_mode = "PRIVATE_ONLY"
  max_workers           = 4
  tags                  = var.context.tags

  airflow_configuration_options = {
    "core.load_examples"      = "False"
    "core.default_timezone"   = "utc"
    "webserver.expose_config" = "False"
  }

  network_configuration {
    security_group_ids = [aws_security_group.this.id]
    subnet_ids         = slice(var.context.aws.private_subnet_ids, 0, 2)
  }

  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = "INFO"
    }
    scheduler_logs {
      enabled   = true
      log_level = "INFO"
    }
    task_logs {
      enabled   = true
      log_level = "INFO"
    }
    webserver_logs {
      enabled   = true
      log_level = "WARNING"
    }
    worker_logs {
      enabled   = true
      log_level = "INFO"
    }
  }
}
