# Topics on the local single-broker Kafka (KRaft), plaintext on 127.0.0.1.
resource "kafka_topic" "this" {
  for_each = toset(var.topics)

  name               = each.value
  partitions         = var.partitions
  replication_factor = var.replication_factor
  config = {
    "min.insync.replicas" = "1"
    "retention.ms"        = tostring(var.retention_ms)
  }
}
