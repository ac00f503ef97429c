-- =============================================================================
-- Into raw.dead_letters (Flink SQL dialect): records of kafka_${name} selected by
-- ${where}, with the original bytes and ${error} as the reason. Rendered by
-- jobs/flink/runner.py for every source topic and for the API's dead-letter topic.
-- =============================================================================

-- ====  INSERT  ===============================================================
INSERT INTO icefloe.`raw`.dead_letters
SELECT
  '${topic}'                                                            AS source_topic,
  CAST(`kafka_key` AS STRING)                                           AS kafka_key,
  `value`                                                               AS payload,
  ${error}                                                              AS error,
  CAST(`headers`['delivery_id'] AS STRING)                              AS _webhook_id,
  CAST(`headers`['provider_topic'] AS STRING)                           AS _webhook_topic,
  TO_TIMESTAMP_LTZ(CAST(CAST(`headers`['received_at'] AS STRING) AS BIGINT), 3) AS _received_at,
  CAST(`kafka_timestamp` AS DATE)                                       AS _received_date,
  NOW()                                                                 AS _loaded_at,
  `kafka_partition`                                                     AS _kafka_partition,
  `kafka_offset`                                                        AS _kafka_offset
FROM kafka_${name}
WHERE ${where};
