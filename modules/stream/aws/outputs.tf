output "topic_names" {
  description = "Names of the topics created."
  value       = sort([for t in aws_msk_topic.this : t.name])
}

output "cluster_arn" {
  description = "ARN of the MSK cluster (IAM policies of producers and consumers refer to it)."
  value       = aws_msk_cluster.this.arn
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile: IAM-authenticated TLS brokers."
  value = {
    ICEFLOE_KAFKA_BOOTSTRAP_SERVERS = aws_msk_cluster.this.bootstrap_brokers_sasl_iam
    ICEFLOE_KAFKA_SECURITY_PROTOCOL = "SASL_SSL"
  }
}
