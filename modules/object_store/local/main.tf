# Buckets on the local S3-compatible object store (versitygw). The minio provider is used for its
# plain S3 calls only (CreateBucket, HeadBucket, DeleteBucket, PutObject): no MinIO admin API.
# Encryption, public-access blocks and TLS are AWS concerns; the local store listens on 127.0.0.1.
locals {
  endpoint = "http://${var.context.local.host}:${var.context.local.s3_port}"
}

resource "minio_s3_bucket" "this" {
  for_each = var.buckets

  bucket        = each.value
  acl           = "private"
  force_destroy = var.force_destroy
}
