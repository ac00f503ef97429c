# Provider configuration of the aws target. Credentials come from the usual AWS chain (profile, SSO,
# environment, instance role) of whoever runs tofu; the region and tags from the tfvars.
provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
