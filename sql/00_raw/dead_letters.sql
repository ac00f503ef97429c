-- =============================================================================
-- raw.dead_letters  (Flink SQL dialect; rendered by jobs/flink/runner.py)
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

-- ====  SOURCE  ===============================================================
CREATE TEMPORARY TABLE kafka_dead_letter (
  `kafka_key`        BYTES,
  `value`            BYTES,
  `headers`          MAP<STRING, BYTES>  METADATA FROM 'headers' VIRTUAL,
  `kafka_partition`  INT                 METADATA FROM 'partition' VIRTUAL,
  `kafka_offset`     BIGINT              METADATA FROM 'offset' VIRTUAL,
  `kafka_timestamp`  TIMESTAMP_LTZ(3)    METADATA FROM 'timestamp' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = '${dead_letter_topic}',
  'properties.bootstrap.servers' = '${kafka_bootstrap_servers}',
  'properties.security.protocol' = '${kafka_security_protocol}',
  'properties.group.id' = 'icefloe-raw-dead-letter',
  'properties.isolation.level' = 'read_committed',
  ${startup_options}
  ${bounded_option}
  'key.format' = 'raw',
  'key.fields' = 'kafka_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);

-- ====  INSERT  ===============================================================
INSERT INTO icefloe.`raw`.dead_letters
SELECT
  '${dead_letter_topic}'                                                AS source_topic,
  CAST(`kafka_key` AS STRING)                                           AS kafka_key,
  `value`                                                               AS payload,
  COALESCE(CAST(`headers`['dead_letter_reason'] AS STRING), 'dead-lettered by the API') AS error,
  CAST(`headers`['delivery_id'] AS STRING)                              AS _webhook_id,
  CAST(`headers`['provider_topic'] AS STRING)                           AS _webhook_topic,
  TO_TIMESTAMP_LTZ(CAST(CAST(`headers`['received_at'] AS STRING) AS BIGINT), 3) AS _received_at,
  CAST(`kafka_timestamp` AS DATE)                                       AS _received_date,
  NOW()                                                                 AS _loaded_at,
  `kafka_partition`                                                     AS _kafka_partition,
  `kafka_offset`                                                        AS _kafka_offset
FROM kafka_dead_letter;
