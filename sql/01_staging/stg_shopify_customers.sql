-- =============================================================================
-- staging.stg_shopify_customers
-- One row per Shopify customer (Admin REST `customers/create|update` bodies): typed, default
-- address flattened, latest version wins (updated_at, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_shopify_customers (
  customer_id         STRING         COMMENT 'Shopify customer id (exact, as string)',
  email               STRING         COMMENT 'email as sent',
  first_name          STRING,
  last_name           STRING,
  phone               STRING,
  state               STRING         COMMENT 'disabled, invited, enabled, declined',
  verified_email      BOOLEAN,
  accepts_marketing   BOOLEAN        COMMENT 'email_marketing_consent.state = subscribed (legacy accepts_marketing otherwise)',
  orders_count        INT,
  total_spent         DECIMAL(18,2),
  currency            STRING,
  tags                STRING,
  address_city        STRING         COMMENT 'default_address.city',
  address_province    STRING         COMMENT 'default_address.province_code',
  address_country     STRING         COMMENT 'default_address.country_code',
  address_zip         STRING,
  address_line1       STRING         COMMENT 'default_address.address1 (street line: entity resolution)',
  is_enabled          BOOLEAN        COMMENT 'state = enabled',
  created_at          TIMESTAMP,
  updated_at          TIMESTAMP      COMMENT 'Shopify updated_at (version order)',
  _webhook_id         STRING,
  _kafka_partition    INT,
  _kafka_offset       BIGINT,
  _raw_id             STRING         COMMENT '<topic>/<partition>/<offset> of the raw row',
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
  p.id                                                                   AS customer_id,
  p.email                                                                AS email,
  p.first_name                                                           AS first_name,
  p.last_name                                                            AS last_name,
  coalesce(p.phone,
           p.default_address.phone)                                      AS phone,
  p.state                                                                AS state,
  try_cast(p.verified_email AS BOOLEAN)                                  AS verified_email,
  coalesce(p.email_marketing_consent.state = 'subscribed',
           try_cast(p.accepts_marketing AS BOOLEAN), false)              AS accepts_marketing,
  try_cast(p.orders_count AS INT)                                        AS orders_count,
  try_cast(p.total_spent AS DECIMAL(18,2))                               AS total_spent,
  p.currency                                                             AS currency,
  p.tags                                                                 AS tags,
  p.default_address.city                                                 AS address_city,
  p.default_address.province_code                                        AS address_province,
  p.default_address.country_code                                         AS address_country,
  p.default_address.zip                                                  AS address_zip,
  p.default_address.address1                                             AS address_line1,
  coalesce(p.state = 'enabled', false)                                   AS is_enabled,
  try_to_timestamp(p.created_at)                                         AS created_at,
  try_to_timestamp(p.updated_at)                                         AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('shopify.customers/', _kafka_partition, '/', _kafka_offset)     AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  -- the payload parsed once, into `p`: a get_json_object per field would parse it again for each
  SELECT *, from_json(payload, '
    id STRING, email STRING, first_name STRING, last_name STRING, phone STRING,
    default_address STRUCT<
      phone: STRING, city: STRING, province_code: STRING, country_code: STRING, zip: STRING,
      address1: STRING>,
    state STRING, verified_email STRING, email_marketing_consent STRUCT<state: STRING>,
    accepts_marketing STRING, orders_count STRING, total_spent STRING, currency STRING, tags STRING,
    created_at STRING, updated_at STRING') AS p
  FROM raw_batch
)

-- ====  IGNORED  ==============================================================
admin_graphql_api_id addresses default_address email_marketing_consent sms_marketing_consent note
tax_exempt tax_exemptions multipass_identifier last_order_id last_order_name marketing_opt_in_level
accepts_marketing_updated_at
