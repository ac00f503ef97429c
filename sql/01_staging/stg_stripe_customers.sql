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
  first_name          STRING         COMMENT 'name up to the first space (Stripe has one free-text name)',
  last_name           STRING         COMMENT 'name after the first space',
  phone               STRING,
  description         STRING,
  address_line1       STRING,
  address_line2       STRING,
  address_city        STRING,
  address_state       STRING,
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
  o.id                                                                   AS customer_id,
  o.email                                                                AS email,
  o.name                                                                 AS name,
  nullif(substring_index(trim(o.name), ' ', 1), '')                      AS first_name,
  CASE WHEN instr(trim(o.name), ' ') > 0
       THEN trim(substr(trim(o.name), instr(trim(o.name), ' ') + 1)) END
                                                                         AS last_name,
  o.phone                                                                AS phone,
  o.description                                                          AS description,
  o.address.line1                                                        AS address_line1,
  o.address.line2                                                        AS address_line2,
  o.address.city                                                         AS address_city,
  o.address.state                                                        AS address_state,
  o.address.country                                                      AS address_country,
  o.address.postal_code                                                  AS address_postal_code,
  upper(o.currency)                                                      AS currency,
  CAST(try_cast(o.balance AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3))   AS balance,
  try_cast(o.delinquent AS BOOLEAN)                                      AS delinquent,
  coalesce(try_cast(o.deleted AS BOOLEAN), false)
    OR event_type IN ('customer.deleted')                                              AS is_deleted,
  event_type                                                             AS last_event_type,
  p.id                                                                   AS last_event_id,
  try_cast(o.livemode AS BOOLEAN)                                        AS livemode,
  timestamp_seconds(try_cast(o.created AS BIGINT))                       AS created_at,
  timestamp_seconds(try_cast(p.created AS BIGINT))                       AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('stripe.customers/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
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
          id: STRING, email: STRING, name: STRING, phone: STRING, description: STRING,
          address: STRUCT<
            line1: STRING, line2: STRING, city: STRING, state: STRING, country: STRING,
            postal_code: STRING>,
          currency: STRING, balance: STRING, delinquent: STRING, deleted: STRING, livemode: STRING,
          created: STRING>>,
      id STRING, created STRING, type STRING') AS p
    FROM raw_batch
  )
)

-- ====  IGNORED  ==============================================================
object default_source discount invoice_prefix invoice_settings metadata next_invoice_sequence preferred_locales shipping tax_exempt test_clock customer_account cash_balance invoice_credit_balance sources subscriptions tax deleted
