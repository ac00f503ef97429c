-- =============================================================================
-- raw.<source>_<object>  (one per entry of sources.yaml; Flink SQL dialect)
-- Append-only, payload kept whole, key fields extracted, delivery metadata.
-- Rendered by jobs/flink/runner.py: ${name}, ${key_columns} and ${key_selects} come
-- from sources.yaml; the source table kafka_${name} from kafka_source.sql, and records
-- that are not JSON go to raw.dead_letters through dead_letter_insert.sql.
-- The session time zone is UTC, so the DATE cast of _received_at is the UTC date.
-- =============================================================================

-- ====  SINK  =================================================================
CREATE TABLE IF NOT EXISTS icefloe.`raw`.${name} (
  `object_id`         STRING            COMMENT 'the object id (Kafka key)',
  ${key_columns}
  `payload`           STRING            COMMENT 'the delivered body, unchanged (UTF-8 JSON)',
  `_webhook_id`       STRING            COMMENT 'provider delivery id',
  `_webhook_topic`    STRING            COMMENT 'provider topic / event type',
  `_received_at`      TIMESTAMP_LTZ(3)  COMMENT 'when the API accepted the delivery',
  `_received_date`    DATE              COMMENT 'partition: UTC date of _received_at',
  `_loaded_at`        TIMESTAMP_LTZ(3)  COMMENT 'when Flink wrote the row',
  `_kafka_partition`  INT,
  `_kafka_offset`     BIGINT
) PARTITIONED BY (`_received_date`) WITH (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.upsert.enabled' = 'false'
);

-- ====  INSERT  ===============================================================
INSERT INTO icefloe.`raw`.${name}
SELECT
  CAST(`kafka_key` AS STRING)                                           AS object_id,
  ${key_selects}
  CAST(`value` AS STRING)                                               AS payload,
  CAST(`headers`['delivery_id'] AS STRING)                              AS _webhook_id,
  CAST(`headers`['provider_topic'] AS STRING)                           AS _webhook_topic,
  TO_TIMESTAMP_LTZ(CAST(CAST(`headers`['received_at'] AS STRING) AS BIGINT), 3) AS _received_at,
  CAST(TO_TIMESTAMP_LTZ(
    CAST(CAST(`headers`['received_at'] AS STRING) AS BIGINT), 3) AS DATE)    AS _received_date,
  NOW()                                                                 AS _loaded_at,
  `kafka_partition`                                                     AS _kafka_partition,
  `kafka_offset`                                                        AS _kafka_offset
FROM kafka_${name}
WHERE CAST(`value` AS STRING) IS JSON;
