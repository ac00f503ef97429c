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
  get_json_object(payload, '$.id')                                       AS customer_id,
  get_json_object(payload, '$.email')                                    AS email,
  get_json_object(payload, '$.first_name')                               AS first_name,
  get_json_object(payload, '$.last_name')                                AS last_name,
  coalesce(get_json_object(payload, '$.phone'),
           get_json_object(payload, '$.default_address.phone'))          AS phone,
  get_json_object(payload, '$.state')                                    AS state,
  try_cast(get_json_object(payload, '$.verified_email') AS BOOLEAN)      AS verified_email,
  coalesce(get_json_object(payload, '$.email_marketing_consent.state') = 'subscribed',
           try_cast(get_json_object(payload, '$.accepts_marketing') AS BOOLEAN), false) AS accepts_marketing,
  try_cast(get_json_object(payload, '$.orders_count') AS INT)            AS orders_count,
  try_cast(get_json_object(payload, '$.total_spent') AS DECIMAL(18,2))   AS total_spent,
  get_json_object(payload, '$.currency')                                 AS currency,
  get_json_object(payload, '$.tags')                                     AS tags,
  get_json_object(payload, '$.default_address.city')                     AS address_city,
  get_json_object(payload, '$.default_address.province_code')            AS address_province,
  get_json_object(payload, '$.default_address.country_code')             AS address_country,
  get_json_object(payload, '$.default_address.zip')                      AS address_zip,
  get_json_object(payload, '$.default_address.address1')                 AS address_line1,
  coalesce(get_json_object(payload, '$.state') = 'enabled', false)       AS is_enabled,
  try_to_timestamp(get_json_object(payload, '$.created_at'))             AS created_at,
  try_to_timestamp(get_json_object(payload, '$.updated_at'))             AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('shopify.customers/', _kafka_partition, '/', _kafka_offset)     AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM raw_batch

-- ====  IGNORED  ==============================================================
admin_graphql_api_id addresses default_address email_marketing_consent sms_marketing_consent note
tax_exempt tax_exemptions multipass_identifier last_order_id last_order_name marketing_opt_in_level
accepts_marketing_updated_at
