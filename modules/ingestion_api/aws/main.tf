# The webhook API as an ECS Fargate service in the private subnets behind a public HTTPS-only
# application load balancer (TLS 1.2+, invalid headers dropped, WAF managed rules and a rate limit).
# Signing secrets live in Secrets Manager (KMS) and reach the container as secrets, never as plain
# environment. The task role may only produce to the platform's topics.
locals {
  name                   = "${var.context.name_prefix}-${var.name}"
  port                   = 8090
  kafka_topic_arn_prefix = replace(var.kafka_cluster_arn, ":cluster/", ":topic/")
  environment            = { for k, v in var.runtime_profile : k => v if !contains(var.secret_names, k) }
  # The ECR repository of the image (`<registry>/<repository>[:tag|@digest]`): the only one it may pull.
  image_repository = regex("^[^/]+/([^:@]+)", var.image)[0]
}

# ---- secrets -------------------------------------------------------------------------------
resource "aws_secretsmanager_secret" "webhook" {
  for_each = toset(var.secret_names)

  # checkov:skip=CKV2_AWS_57: provider signing secrets are issued by Shopify/Stripe/HubSpot and rotated in their consoles, not by a Lambda.
  name                    = "${local.name}/${lower(replace(each.value, "ICEFLOE_", ""))}"
  kms_key_id              = var.context.aws.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.context.tags
}

# ---- roles -----------------------------------------------------------------------------------
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.context.aws.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.context.tags
}

data "aws_iam_policy_document" "execution" {
  # checkov:skip=CKV_AWS_356: ecr:GetAuthorizationToken has no resource-level permissions (AWS requires "*"); every other statement is scoped.
  statement {
    sid       = "ReadSigningSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in aws_secretsmanager_secret.webhook : s.arn]
  }
  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Decrypt"]
    resources = [var.context.aws.kms_key_arn]
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = ["arn:aws:ecr:${var.context.region}:${var.context.aws.account_id}:repository/${local.image_repository}"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-image-read-secrets-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.context.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = [var.kafka_cluster_arn]
  }
  statement {
    sid       = "KafkaProduce"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
    resources = ["${local.kafka_topic_arn_prefix}/*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "produce-to-platform-topics"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# ---- service ---------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  name              = "/icefloe/${local.name}"
  retention_in_days = var.context.aws.log_retention_days
  kms_key_id        = var.context.aws.kms_key_arn
  tags              = var.context.tags
}

resource "aws_ecs_cluster" "this" {
  name = local.name
  tags = var.context.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = var.context.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  container_definitions = jsonencode([{
    name                   = "api"
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    user                   = "10001"
    portMappings           = [{ containerPort = local.port, protocol = "tcp" }]
    environment            = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    secrets                = [for k, s in aws_secretsmanager_secret.webhook : { name = k, valueFrom = s.arn }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.context.region
        awslogs-stream-prefix = "api"
      }
    }
  }])
}

resource "aws_security_group" "lb" {
  name        = "${local.name}-lb"
  description = "Webhook load balancer: HTTPS from the internet, to the API tasks"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags
}

resource "aws_vpc_security_group_ingress_rule" "lb_https" {
  security_group_id = aws_security_group.lb.id
  description       = "Webhooks over HTTPS from the providers"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "lb_to_tasks" {
  security_group_id            = aws_security_group.lb.id
  description                  = "To the API tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "tasks" {
  name        = "${local.name}-tasks"
  description = "API tasks: from the load balancer; to Kafka and AWS APIs"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_lb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = aws_security_group.lb.id
}

data "aws_vpc" "this" {
  id = var.context.aws.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "tasks_kafka" {
  security_group_id = aws_security_group.tasks.id
  description       = "Kafka SASL/IAM over TLS inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 9098
  to_port           = 9098
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "AWS APIs (ECR, Secrets Manager, logs) over TLS through VPC endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_lb" "this" {
  # checkov:skip=CKV2_AWS_20: there is no HTTP listener at all (HTTPS only), so no HTTP->HTTPS redirect to configure.
  # checkov:skip=CKV2_AWS_76: AWSManagedRulesAnonymousIpList would block cloud-hosted senders, which the webhook providers are; the Log4j rule itself comes from AWSManagedRulesKnownBadInputsRuleSet (below).
  # checkov:skip=CKV_AWS_91: every request is logged by the WAF logging configuration below and by the API itself; ALB access logs would need a separate SSE-S3 bucket.
  name                       = substr(local.name, 0, 32)
  load_balancer_type         = "application"
  internal                   = false # webhook providers call it from the internet
  subnets                    = var.context.aws.public_subnet_ids
  security_groups            = [aws_security_group.lb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true
  tags                       = var.context.tags
}

resource "aws_lb_target_group" "this" {
  name        = substr(local.name, 0, 32)
  port        = local.port
  protocol    = "HTTP" # inside the VPC, from the load balancer's security group only
  target_type = "ip"
  vpc_id      = var.context.aws.vpc_id
  tags        = var.context.tags

  health_check {
    path    = "/health"
    matcher = "200"
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  tags              = var.context.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}

resource "aws_wafv2_web_acl" "this" {
  name  = local.name
  scope = "REGIONAL"
  tags  = var.context.tags

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit"
    priority = 3
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = 20000
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.name
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${local.name}" # WAF requires the aws-waf-logs- prefix
  retention_in_days = var.context.aws.log_retention_days
  kms_key_id        = var.context.aws.kms_key_arn
  tags              = var.context.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
}

resource "aws_ecs_service" "this" {
  name            = local.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"
  tags            = var.context.tags

  network_configuration {
    subnets          = var.context.aws.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "api"
    container_port   = local.port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
}
