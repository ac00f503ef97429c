output "topic_names" {
  description = "Names of the topics created."
  value       = sort([for t in kafka_topic.this : t.name])
}

output "cluster_arn" {
  description = "ARN of the Kafka cluster (empty locally)."
  value       = ""
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile."
  value = {
    ICEFLOE_KAFKA_BOOTSTRAP_SERVERS = "${var.context.local.host}:${var.context.local.kafka_port}"
    ICEFLOE_KAFKA_SECURITY_PROTOCOL = "PLAINTEXT"
  }
}
