# MSK provisioned cluster in the private subnets: IAM authentication only (no unauthenticated or
# plaintext clients), TLS between clients and brokers and inside the cluster, storage encrypted with
# the platform KMS key, broker logs in CloudWatch. Topics are MSK topic resources (no client needs to
# reach the brokers from where tofu runs).
locals {
  name = "${var.context.name_prefix}-stream"
}

resource "aws_security_group" "this" {
  name        = local.name
  description = "MSK brokers: Kafka IAM/TLS port from inside the VPC only"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags
}

data "aws_vpc" "this" {
  id = var.context.aws.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "kafka_iam" {
  security_group_id = aws_security_group.this.id
  description       = "Kafka SASL/IAM over TLS from the VPC"
  ip_protocol       = "tcp"
  from_port         = 9098
  to_port           = 9098
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "Broker replication inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/icefloe/${local.name}/brokers"
  retention_in_days = var.context.aws.log_retention_days
  kms_key_id        = var.context.aws.kms_key_arn
  tags              = var.context.tags
}

resource "aws_msk_cluster" "this" {
  cluster_name           = local.name
  kafka_version          = "3.8.x"
  number_of_broker_nodes = length(var.context.aws.private_subnet_ids)
  enhanced_monitoring    = "PER_TOPIC_PER_BROKER"

  broker_node_group_info {
    client_subnets  = var.context.aws.private_subnet_ids
    instance_type   = "kafka.m7g.large"
    security_groups = [aws_security_group.this.id]
    storage_info {
      ebs_storage_info {
        volume_size = 100
      }
    }
    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  client_authentication {
    unauthenticated = false
    sasl {
      iam = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.context.aws.kms_key_arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.this.name
      }
    }
  }

  tags = var.context.tags
}

resource "aws_msk_topic" "this" {
  for_each = toset(var.topics)

  cluster_arn        = aws_msk_cluster.this.arn
  name               = each.value
  partition_count    = var.partitions
  replication_factor = var.replication_factor
  configs = jsonencode({
    "min.insync.replicas" = tostring(max(1, var.replication_factor - 1))
    "retention.ms"        = tostring(var.retention_ms)
  })
}
