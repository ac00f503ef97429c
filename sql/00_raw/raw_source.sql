-- =============================================================================
-- raw.<source>_<object>  (one per entry of sources.yaml; Flink SQL dialect)
-- Append-only, payload kept whole, key fields extracted, delivery metadata.
-- Rendered by jobs/flink/runner.py: ${name}, ${topic}, ${key_columns},
-- ${key_selects} and the Kafka options come from sources.yaml and the ICEFLOE_ profile.
-- The session time zone is UTC, so the DATE cast of _received_at is the UTC date.
-- =============================================================================

-- ====  SOURCE  ===============================================================
CREATE TEMPORARY TABLE kafka_${name} (
  `kafka_key`        BYTES,
  `value`            BYTES,
  `headers`          MAP<STRING, BYTES>  METADATA FROM 'headers' VIRTUAL,
  `kafka_partition`  INT                 METADATA FROM 'partition' VIRTUAL,
  `kafka_offset`     BIGINT              METADATA FROM 'offset' VIRTUAL,
  `kafka_timestamp`  TIMESTAMP_LTZ(3)    METADATA FROM 'timestamp' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap_servers}',
  'properties.security.protocol' = '${kafka_security_protocol}',
  'properties.group.id' = 'icefloe-raw-${name}',
  'properties.isolation.level' = 'read_committed',
  ${startup_options}
  ${bounded_option}
  'key.format' = 'raw',
  'key.fields' = 'kafka_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);

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

-- ====  DEAD_LETTER  ==========================================================
-- Nothing is dropped silently: a record whose value is not JSON keeps its original bytes here.
INSERT INTO icefloe.`raw`.dead_letters
SELECT
  '${topic}'                                                            AS source_topic,
  CAST(`kafka_key` AS STRING)                                           AS kafka_key,
  `value`                                                               AS payload,
  CASE WHEN `value` IS NULL THEN 'empty record value (tombstone)'
       ELSE 'record value is not valid JSON' END                       AS error,
  CAST(`headers`['delivery_id'] AS STRING)                              AS _webhook_id,
  CAST(`headers`['provider_topic'] AS STRING)                           AS _webhook_topic,
  TO_TIMESTAMP_LTZ(CAST(CAST(`headers`['received_at'] AS STRING) AS BIGINT), 3) AS _received_at,
  CAST(`kafka_timestamp` AS DATE)                                       AS _received_date,
  NOW()                                                                 AS _loaded_at,
  `kafka_partition`                                                     AS _kafka_partition,
  `kafka_offset`                                                        AS _kafka_offset
FROM kafka_${name}
WHERE `value` IS NULL OR NOT (CAST(`value` AS STRING) IS JSON);
