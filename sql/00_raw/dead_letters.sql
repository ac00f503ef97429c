-- =============================================================================
-- raw.dead_letters  (Flink SQL dialect; rendered by jobs/flink/runner.py; rows are written
-- by dead_letter_insert.sql)
-- Every record that could not become a raw row, with its original bytes and why:
--  * deliveries the API verified but could not route (topic ${dead_letter_topic}),
--  * records of a source topic whose value is not JSON (see raw_source.sql).
-- =============================================================================

-- ====  SINK  =================================================================
CREATE TABLE IF NOT EXISTS icefloe.`raw`.dead_letters (
  `source_topic`      STRING            COMMENT 'Kafka topic the record was read from',
  `kafka_key`         STRING,
  `payload`           BYTES             COMMENT 'the record value, byte for byte',
  `error`             STRING            COMMENT 'why it is here',
  `_webhook_id`       STRING,
  `_webhook_topic`    STRING,
  `_received_at`      TIMESTAMP_LTZ(3),
  `_received_date`    DATE,
  `_loaded_at`        TIMESTAMP_LTZ(3),
  `_kafka_partition`  INT,
  `_kafka_offset`     BIGINT
) PARTITIONED BY (`_received_date`) WITH (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd'
);
