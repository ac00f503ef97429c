# Locally the Spark jobs run through `icefloe` in .venv-spark (local[*]); the workspace uploads their
# files to the artifacts bucket under the same keys EMR Serverless reads on AWS.
resource "minio_s3_object" "this" {
  for_each = var.artifacts

  bucket_name = var.artifacts_bucket
  object_name = each.key
  # The content itself (not `source` + `etag`): the provider uploads in one multipart part, so the
  # store's ETag is "<md5>-1" and never equals filemd5(); a changed file changes this and re-uploads.
  content_base64 = filebase64(each.value)
  content_type   = endswith(each.key, ".py") ? "text/x-python" : "text/plain"
}
