-- =============================================================================
-- The Kafka source of one topic (Flink SQL dialect), shared by every raw job:
-- the record key and value as raw bytes, headers and Kafka position as metadata.
-- Rendered by jobs/flink/runner.py with ${name} (table suffix), ${topic}, ${group_id}
-- and the Kafka options of the ICEFLOE_ profile.
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
  'properties.group.id' = '${group_id}',
  'properties.isolation.level' = 'read_committed',
  ${startup_options}
  ${bounded_option}
  'key.format' = 'raw',
  'key.fields' = 'kafka_key',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);
