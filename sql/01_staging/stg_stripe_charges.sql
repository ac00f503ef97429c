-- =============================================================================
-- staging.stg_stripe_charges
-- One row per Stripe charge.
-- Input: Stripe event envelopes {id, type, created, data: {object: {...}}}. Amounts arrive as
-- integer minor units and are divided by the currency's exponent (0 for JPY/KRW/..., 3 for
-- BHD/KWD/..., 2 otherwise), so money is DECIMAL(18,3). Latest event per object wins (event
-- created, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_stripe_charges (
  charge_id           STRING         COMMENT 'ch_...',
  customer_id         STRING         COMMENT 'cus_... (may be null: guest checkout)',
  payment_intent_id   STRING,
  amount              DECIMAL(18,3),
  amount_captured     DECIMAL(18,3),
  amount_refunded     DECIMAL(18,3),
  currency            STRING         COMMENT 'ISO 4217, upper case',
  status              STRING         COMMENT 'succeeded, pending, failed',
  payment_method_type STRING         COMMENT 'payment_method_details.type: card, sepa_debit, ...',
  card_brand          STRING,
  card_country        STRING,
  billing_email       STRING,
  billing_name        STRING,
  billing_country     STRING,
  receipt_email       STRING,
  failure_code        STRING,
  is_paid             BOOLEAN        COMMENT 'paid',
  is_captured         BOOLEAN,
  is_succeeded        BOOLEAN        COMMENT 'status = succeeded',
  is_refunded         BOOLEAN        COMMENT 'amount_refunded > 0',
  is_fully_refunded   BOOLEAN        COMMENT 'refunded (whole amount)',
  is_disputed         BOOLEAN,
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
  o.id                                                                   AS charge_id,
  o.customer                                                             AS customer_id,
  o.payment_intent                                                       AS payment_intent_id,
  CAST(try_cast(o.amount AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3))    AS amount,
  CAST(try_cast(o.amount_captured AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3)) AS amount_captured,
  CAST(try_cast(o.amount_refunded AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3)) AS amount_refunded,
  upper(o.currency)                                                      AS currency,
  o.status                                                               AS status,
  o.payment_method_details.type                                          AS payment_method_type,
  o.payment_method_details.card.brand                                    AS card_brand,
  o.payment_method_details.card.country                                  AS card_country,
  o.billing_details.email                                                AS billing_email,
  o.billing_details.name                                                 AS billing_name,
  o.billing_details.address.country                                      AS billing_country,
  o.receipt_email                                                        AS receipt_email,
  o.failure_code                                                         AS failure_code,
  coalesce(try_cast(o.paid AS BOOLEAN), false)                           AS is_paid,
  coalesce(try_cast(o.captured AS BOOLEAN), false)                       AS is_captured,
  coalesce(o.status = 'succeeded', false)                                AS is_succeeded,
  coalesce(try_cast(o.amount_refunded AS BIGINT) > 0, false)             AS is_refunded,
  coalesce(try_cast(o.refunded AS BOOLEAN), false)                       AS is_fully_refunded,
  coalesce(try_cast(o.disputed AS BOOLEAN), false)                       AS is_disputed,
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
  concat('stripe.charges/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
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
          id: STRING, customer: STRING, payment_intent: STRING, amount: STRING, amount_captured: STRING,
          amount_refunded: STRING, currency: STRING, status: STRING,
          payment_method_details: STRUCT<type: STRING, card: STRUCT<brand: STRING, country: STRING>>,
          billing_details: STRUCT<email: STRING, name: STRING, address: STRUCT<country: STRING>>,
          receipt_email: STRING, failure_code: STRING, paid: STRING, captured: STRING, refunded: STRING,
          disputed: STRING, deleted: STRING, livemode: STRING, created: STRING>>,
      id STRING, created STRING, type STRING') AS p
    FROM raw_batch
  )
)

-- ====  IGNORED  ==============================================================
object application application_fee application_fee_amount balance_transaction billing_details calculated_statement_descriptor description failure_balance_transaction failure_message fraud_details metadata on_behalf_of outcome paid payment_method payment_method_details receipt_number receipt_url refunded refunds review shipping source source_transfer statement_descriptor statement_descriptor_suffix transfer_data transfer_group captured disputed presentment_details radar_options
