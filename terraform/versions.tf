# OpenTofu >= 1.10 (early evaluation: the `target` variable selects the target's module source at
# init, so the `local` workspace never needs the aws provider and `aws` never needs the local ones).
# Terraform cannot read this configuration (it rejects variables in module sources).
terraform {
  required_version = ">= 1.10.0"

  # State per workspace under terraform.tfstate.d/<workspace>/ (gitignored). For a shared AWS
  # deployment put an S3 backend in backend_override.tf (see README).
  backend "local" {}
}
