# Provider configurations of the local target: the running local stack's endpoints. (They live in
# the target, not the root, so that the `local` workspace needs no aws provider and vice versa.)
provider "minio" {
  minio_server   = "${var.local_stack.host}:${var.local_stack.s3_port}"
  minio_user     = var.local_stack.s3_access_key
  minio_password = var.local_stack.s3_secret_key
  minio_region   = var.region
  minio_ssl      = false
}

provider "kafka" {
  bootstrap_servers = ["${var.local_stack.host}:${var.local_stack.kafka_port}"]
  tls_enabled       = false
  timeout           = 30
}

provider "restapi" {
  uri                   = "http://${var.local_stack.host}:${var.local_stack.catalog_port}"
  write_returns_object  = true
  create_returns_object = true
  headers = {
    Content-Type = "application/json"
  }
}
