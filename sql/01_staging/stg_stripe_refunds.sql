-- =============================================================================
-- staging.stg_stripe_refunds
-- One row per Stripe refund.
-- Input: Stripe event envelopes {id, type, created, data: {object: {...}}}. Amounts arrive as
-- integer minor units and are divided by the currency's exponent (0 for JPY/KRW/..., 3 for
-- BHD/KWD/..., 2 otherwise), so money is DECIMAL(18,3). Latest event per object wins (event
-- created, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_stripe_refunds (
  refund_id           STRING         COMMENT 're_...',
  charge_id           STRING,
  payment_intent_id   STRING,
  amount              DECIMAL(18,3),
  currency            STRING,
  status              STRING         COMMENT 'pending, requires_action, succeeded, failed, canceled',
  reason              STRING         COMMENT 'duplicate, fraudulent, requested_by_customer, ...',
  is_succeeded        BOOLEAN,
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
  o.id                                                                   AS refund_id,
  o.charge                                                               AS charge_id,
  o.payment_intent                                                       AS payment_intent_id,
  CAST(try_cast(o.amount AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3))    AS amount,
  upper(o.currency)                                                      AS currency,
  o.status                                                               AS status,
  o.reason                                                               AS reason,
  coalesce(o.status = 'succeeded', false)                                AS is_succeeded,
  coalesce(try_cast(o.deleted AS BOOLEAN), false)
    OR event_type IN ('')                                              AS is_deleted,
  event_type                                                             AS last_event_type,
  p.id                                                                   AS last_event_id,
  try_cast(o.livemode AS BOOLEAN)                                        AS livemode,
  timestamp_seconds(try_cast(o.created AS BIGINT))                       AS created_at,
  timestamp_seconds(try_cast(p.created AS BIGINT))                       AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('stripe.refunds/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT *,
    p.data.object                                                        AS o,
    coalesce(p.type, _webhook_topic)                                     AS event_type,
    CASE
      WHEN upper(p.data.object.currency) IN
        ('BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 1
      WHEN upper(p.data.object.currency) IN ('BHD', 'JOD', 'KWD', 'OMR', 'TND') THEN 1000
      ELSE 100
    END                                                                  AS _minor
  FROM (
    -- the payload parsed once, into `p`: a get_json_object per field would parse it again for each
    SELECT *, from_json(payload, '
      data STRUCT<
        object: STRUCT<
          id: STRING, charge: STRING, payment_intent: STRING, amount: STRING, currency: STRING,
          status: STRING, reason: STRING, deleted: STRING, livemode: STRING, created: STRING>>,
      id STRING, created STRING, type STRING') AS p
    FROM raw_batch
  )
)

-- ====  IGNORED  ==============================================================
object balance_transaction customer customer_account destination_details metadata payment_method receipt_number source_transfer_reversal transfer_reversal
