output "url" {
  description = "Base URL webhooks are delivered to."
  value       = local.url
}

output "service_name" {
  description = "Name of the API service (ECS service on AWS)."
  value       = var.name
}

output "profile" {
  description = "This concern's part of the ICEFLOE_ runtime profile: the API URL (and locally the development webhook secrets)."
  value = merge(
    { ICEFLOE_INGESTION_URL = local.url },
    { for k in var.secret_names : k => var.webhook_secrets[k] },
  )
  sensitive = true
}
