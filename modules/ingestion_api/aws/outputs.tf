output "url" {
  description = "Base URL webhooks are delivered to."
  value       = "https://${aws_lb.this.dns_name}"
}

output "service_name" {
  description = "Name of the API service (ECS service on AWS)."
  value       = aws_ecs_service.this.name
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile: the API URL (secrets stay in Secrets Manager)."
  value = {
    ICEFLOE_INGESTION_URL = "https://${aws_lb.this.dns_name}"
  }
  sensitive = true
}
