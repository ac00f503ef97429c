-- =============================================================================
-- staging.stg_stripe_customers
-- One row per Stripe customer.
-- Input: Stripe event envelopes {id, type, created, data: {object: {...}}}. Amounts arrive as
-- integer minor units and are divided by the currency's exponent (0 for JPY/KRW/..., 3 for
-- BHD/KWD/..., 2 otherwise), so money is DECIMAL(18,3). Latest event per object wins (event
-- created, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_stripe_customers (
  customer_id         STRING         COMMENT 'cus_...',
  email               STRING,
  name                STRING,
  phone               STRING,
  description         STRING,
  address_city        STRING,
  address_country     STRING,
  address_postal_code STRING,
  currency            STRING,
  balance             DECIMAL(18,3)  COMMENT 'customer balance in major units',
  delinquent          BOOLEAN,
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
  get_json_object(o, '$.id')                                             AS customer_id,
  get_json_object(o, '$.email')                                          AS email,
  get_json_object(o, '$.name')                                           AS name,
  get_json_object(o, '$.phone')                                          AS phone,
  get_json_object(o, '$.description')                                    AS description,
  get_json_object(o, '$.address.city')                                   AS address_city,
  get_json_object(o, '$.address.country')                                AS address_country,
  get_json_object(o, '$.address.postal_code')                            AS address_postal_code,
  upper(get_json_object(o, '$.currency'))                                AS currency,
  CAST(try_cast(get_json_object(o, '$.balance') AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3)) AS balance,
  try_cast(get_json_object(o, '$.delinquent') AS BOOLEAN)                AS delinquent,
  coalesce(try_cast(get_json_object(o, '$.deleted') AS BOOLEAN), false)
    OR event_type IN ('customer.deleted')                                              AS is_deleted,
  event_type                                                             AS last_event_type,
  get_json_object(payload, '$.id')                                       AS last_event_id,
  try_cast(get_json_object(o, '$.livemode') AS BOOLEAN)                  AS livemode,
  timestamp_seconds(try_cast(get_json_object(o, '$.created') AS BIGINT)) AS created_at,
  timestamp_seconds(try_cast(get_json_object(payload, '$.created') AS BIGINT)) AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('stripe.customers/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
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
object default_source discount invoice_prefix invoice_settings metadata next_invoice_sequence preferred_locales shipping tax_exempt test_clock customer_account cash_balance invoice_credit_balance sources subscriptions tax deleted
