# The local stream job is the Flink runner started by `icefloe` in its own virtualenv; its settings
# are the runtime profile. What the workspace manages is the job's files in the artifacts bucket
# (the same keys the Managed Flink application reads on AWS) and its checkpoint directory.
resource "minio_s3_object" "this" {
  for_each = var.artifacts

  bucket_name = var.artifacts_bucket
  object_name = each.key
  # The content itself (not `source` + `etag`): the provider uploads in one multipart part, so the
  # store's ETag is "<md5>-1" and never equals filemd5(); a changed file changes this and re-uploads.
  content_base64 = filebase64(each.value)
  content_type   = endswith(each.key, ".py") ? "text/x-python" : "text/plain"
}
