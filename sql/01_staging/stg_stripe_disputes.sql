-- =============================================================================
-- staging.stg_stripe_disputes
-- One row per Stripe dispute.
-- Input: Stripe event envelopes {id, type, created, data: {object: {...}}}. Amounts arrive as
-- integer minor units and are divided by the currency's exponent (0 for JPY/KRW/..., 3 for
-- BHD/KWD/..., 2 otherwise), so money is DECIMAL(18,3). Latest event per object wins (event
-- created, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_stripe_disputes (
  dispute_id          STRING         COMMENT 'dp_...',
  charge_id           STRING,
  payment_intent_id   STRING,
  amount              DECIMAL(18,3),
  currency            STRING,
  status              STRING         COMMENT 'warning_needs_response, needs_response, under_review, won, lost, ...',
  reason              STRING,
  evidence_due_by     TIMESTAMP,
  is_open             BOOLEAN        COMMENT 'not won, lost or warning_closed',
  is_won              BOOLEAN,
  is_lost             BOOLEAN,
  is_deleted          BOOLEAN        COMMENT 'the latest event deleted the object',
  last_event_type     STRING         COMMENT 'Stripe event type of the winning version',
  last_event_id       STRING         COMMENT 'Stripe event id (evt_...) of the winning version',
  livemode            BOOLEAN,
  created_at          TIMESTAMP      COMMENT 'object created (epoch seconds in the payload)',
  updated_at          TIMESTAMP      COMMENT 'event created: the version order, then Kafka offset',
  _webhook_id         STRING,
  _kafka_partition    INT,
  _kafka_offset       BIGINT,
  _raw_id             STRING,
  _staged_at          TIMESTAMP
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read',
  'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
);

-- ====  TRANSFORM  ============================================================
SELECT
  get_json_object(o, '$.id')                                             AS dispute_id,
  get_json_object(o, '$.charge')                                         AS charge_id,
  get_json_object(o, '$.payment_intent')                                 AS payment_intent_id,
  CAST(try_cast(get_json_object(o, '$.amount') AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3)) AS amount,
  upper(get_json_object(o, '$.currency'))                                AS currency,
  get_json_object(o, '$.status')                                         AS status,
  get_json_object(o, '$.reason')                                         AS reason,
  timestamp_seconds(try_cast(get_json_object(o, '$.evidence_details.due_by') AS BIGINT)) AS evidence_due_by,
  coalesce(get_json_object(o, '$.status') NOT IN ('won', 'lost', 'warning_closed'), true) AS is_open,
  coalesce(get_json_object(o, '$.status') = 'won', false)                AS is_won,
  coalesce(get_json_object(o, '$.status') = 'lost', false)               AS is_lost,
  coalesce(try_cast(get_json_object(o, '$.deleted') AS BOOLEAN), false)
    OR event_type IN ('')                                              AS is_deleted,
  event_type                                                             AS last_event_type,
  get_json_object(payload, '$.id')                                       AS last_event_id,
  try_cast(get_json_object(o, '$.livemode') AS BOOLEAN)                  AS livemode,
  timestamp_seconds(try_cast(get_json_object(o, '$.created') AS BIGINT)) AS created_at,
  timestamp_seconds(try_cast(get_json_object(payload, '$.created') AS BIGINT)) AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('stripe.disputes/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT *,
    get_json_object(payload, '$.data.object')                            AS o,
    coalesce(get_json_object(payload, '$.type'), _webhook_topic)         AS event_type,
    CASE
      WHEN upper(get_json_object(payload, '$.data.object.currency')) IN
        ('BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 1
      WHEN upper(get_json_object(payload, '$.data.object.currency')) IN ('BHD', 'JOD', 'KWD', 'OMR', 'TND') THEN 1000
      ELSE 100
    END                                                                  AS _minor
  FROM raw_batch
)

-- ====  IGNORED  ==============================================================
object balance_transactions enhanced_eligibility_types evidence evidence_details is_charge_refundable metadata payment_method_details
