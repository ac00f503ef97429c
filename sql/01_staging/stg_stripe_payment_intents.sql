-- =============================================================================
-- staging.stg_stripe_payment_intents
-- One row per Stripe PaymentIntent.
-- Input: Stripe event envelopes {id, type, created, data: {object: {...}}}. Amounts arrive as
-- integer minor units and are divided by the currency's exponent (0 for JPY/KRW/..., 3 for
-- BHD/KWD/..., 2 otherwise), so money is DECIMAL(18,3). Latest event per object wins (event
-- created, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_stripe_payment_intents (
  payment_intent_id   STRING         COMMENT 'pi_...',
  customer_id         STRING,
  latest_charge_id    STRING,
  amount              DECIMAL(18,3),
  amount_received     DECIMAL(18,3),
  currency            STRING,
  status              STRING         COMMENT 'requires_payment_method, processing, succeeded, canceled, ...',
  payment_method_type STRING         COMMENT 'first of payment_method_types',
  capture_method      STRING,
  receipt_email       STRING,
  cancellation_reason STRING,
  canceled_at         TIMESTAMP,
  is_succeeded        BOOLEAN        COMMENT 'status = succeeded',
  is_canceled         BOOLEAN        COMMENT 'status = canceled',
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
  o.id                                                                   AS payment_intent_id,
  o.customer                                                             AS customer_id,
  o.latest_charge                                                        AS latest_charge_id,
  CAST(try_cast(o.amount AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3))    AS amount,
  CAST(try_cast(o.amount_received AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3)) AS amount_received,
  upper(o.currency)                                                      AS currency,
  o.status                                                               AS status,
  get(o.payment_method_types, 0)                                         AS payment_method_type,
  o.capture_method                                                       AS capture_method,
  o.receipt_email                                                        AS receipt_email,
  o.cancellation_reason                                                  AS cancellation_reason,
  timestamp_seconds(try_cast(o.canceled_at AS BIGINT))                   AS canceled_at,
  coalesce(o.status = 'succeeded', false)                                AS is_succeeded,
  coalesce(o.status = 'canceled', false)                                 AS is_canceled,
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
  concat('stripe.payment_intents/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
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
          id: STRING, customer: STRING, latest_charge: STRING, amount: STRING, amount_received: STRING,
          currency: STRING, status: STRING, payment_method_types: ARRAY<STRING>, capture_method: STRING,
          receipt_email: STRING, cancellation_reason: STRING, canceled_at: STRING, deleted: STRING,
          livemode: STRING, created: STRING>>,
      id STRING, created STRING, type STRING') AS p
    FROM raw_batch
  )
)

-- ====  IGNORED  ==============================================================
object amount_capturable amount_details application application_fee_amount automatic_payment_methods client_secret confirmation_method customer_account description excluded_payment_method_types last_payment_error managed_payments metadata next_action on_behalf_of payment_method payment_method_configuration_details payment_method_options payment_method_types processing review setup_future_usage shipping source statement_descriptor statement_descriptor_suffix transfer_data transfer_group canceled_at
