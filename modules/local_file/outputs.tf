output "path" {
  description = "Path of the written file."
  value       = terraform_data.this.input.path
}

output "content_sha256" {
  description = "SHA-256 of the content written."
  value       = terraform_data.this.input.content_sha256
}
