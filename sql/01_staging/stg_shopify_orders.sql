-- =============================================================================
-- staging.stg_shopify_orders
-- One row per Shopify order: typed, flattened, latest version wins
-- (provider updated_at, then Kafka offset). Written by jobs/spark/staging.py with MERGE INTO.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_shopify_orders (
  order_id            STRING         COMMENT 'Shopify order id (exact, kept as string: ids exceed 2^53)',
  order_number        BIGINT         COMMENT 'Human-facing order number',
  customer_id         STRING         COMMENT 'Shopify customer id',
  email               STRING         COMMENT 'Order email as sent',
  total_amount        DECIMAL(18,2)  COMMENT 'total_price',
  subtotal_amount     DECIMAL(18,2)  COMMENT 'subtotal_price',
  tax_amount          DECIMAL(18,2)  COMMENT 'total_tax',
  discount_amount     DECIMAL(18,2)  COMMENT 'total_discounts',
  shipping_amount     DECIMAL(18,2)  COMMENT 'sum of shipping_lines.price',
  currency            STRING         COMMENT 'ISO 4217 currency',
  line_item_count     INT            COMMENT 'number of line items',
  financial_status    STRING         COMMENT 'pending, paid, refunded, ...',
  fulfillment_status  STRING         COMMENT 'null, partial, fulfilled',
  is_paid             BOOLEAN        COMMENT 'financial_status in (paid, partially_refunded, refunded)',
  is_fulfilled        BOOLEAN        COMMENT 'fulfillment_status = fulfilled',
  channel             STRING         COMMENT 'source_name: web, pos, shopify_draft_order, ...',
  is_cancelled        BOOLEAN        COMMENT 'cancelled_at is set',
  cancelled_at        TIMESTAMP      COMMENT 'Shopify cancelled_at',
  shipping_city       STRING,
  shipping_country    STRING,
  shipping_address1   STRING         COMMENT 'shipping_address.address1 (street line: entity resolution)',
  shipping_zip        STRING,
  billing_city        STRING,
  billing_country     STRING,
  order_date          DATE           COMMENT 'created_at as a UTC date',
  created_at          TIMESTAMP      COMMENT 'Shopify created_at',
  updated_at          TIMESTAMP      COMMENT 'Shopify updated_at (version order)',
  _webhook_id         STRING         COMMENT 'X-Shopify-Webhook-Id of the delivery this row came from',
  _kafka_partition    INT            COMMENT 'Kafka position of that delivery (tie-break)',
  _kafka_offset       BIGINT,
  _raw_id             STRING         COMMENT '<topic>/<partition>/<offset> of the raw row',
  _staged_at          TIMESTAMP      COMMENT 'when this row was written'
)
USING iceberg
PARTITIONED BY (months(created_at))
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read',
  'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
);

-- ====  TRANSFORM  ============================================================
-- Input: the view `raw_batch` (new raw rows). Output: one typed row per raw row.
-- The payload (~8 KB) is parsed once per row into `p`, with only the fields staging reads (STRING
-- keeps a JSON number's exact text: ids exceed 2^53); one get_json_object per field would parse
-- it ~25 times.
SELECT
  p.id                                                                   AS order_id,
  CAST(p.order_number AS BIGINT)                                         AS order_number,
  p.customer.id                                                          AS customer_id,
  p.email                                                                AS email,
  CAST(p.total_price AS DECIMAL(18,2))                                   AS total_amount,
  CAST(p.subtotal_price AS DECIMAL(18,2))                                AS subtotal_amount,
  CAST(p.total_tax AS DECIMAL(18,2))                                     AS tax_amount,
  CAST(p.total_discounts AS DECIMAL(18,2))                               AS discount_amount,
  CAST(aggregate(
    p.shipping_lines,
    CAST(0 AS DECIMAL(18,2)),
    (acc, l) -> CAST(acc + CAST(l.price AS DECIMAL(18,2)) AS DECIMAL(18,2))
  ) AS DECIMAL(18,2))                                                    AS shipping_amount,
  p.currency                                                             AS currency,
  size(p.line_items)                                                     AS line_item_count,
  p.financial_status                                                     AS financial_status,
  p.fulfillment_status                                                   AS fulfillment_status,
  p.financial_status IN ('paid', 'partially_refunded', 'refunded')      AS is_paid,
  coalesce(p.fulfillment_status = 'fulfilled', false)                    AS is_fulfilled,
  coalesce(p.source_name, 'unknown')                                     AS channel,
  p.cancelled_at IS NOT NULL                                             AS is_cancelled,
  try_to_timestamp(p.cancelled_at)                                       AS cancelled_at,
  p.shipping_address.city                                                AS shipping_city,
  p.shipping_address.country_code                                        AS shipping_country,
  p.shipping_address.address1                                            AS shipping_address1,
  p.shipping_address.zip                                                 AS shipping_zip,
  p.billing_address.city                                                 AS billing_city,
  p.billing_address.country_code                                         AS billing_country,
  to_date(to_timestamp(p.created_at))                                    AS order_date,
  to_timestamp(p.created_at)                                             AS created_at,
  to_timestamp(p.updated_at)                                             AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('shopify.orders/', _kafka_partition, '/', _kafka_offset)        AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT *, from_json(payload,
    'id STRING, order_number STRING, customer STRUCT<id: STRING>, email STRING, total_price STRING,
     subtotal_price STRING, total_tax STRING, total_discounts STRING,
     shipping_lines ARRAY<STRUCT<price: STRING>>, currency STRING, line_items ARRAY<STRUCT<id: STRING>>,
     financial_status STRING, fulfillment_status STRING, source_name STRING, cancelled_at STRING,
     shipping_address STRUCT<city: STRING, country_code: STRING, address1: STRING, zip: STRING>,
     billing_address STRUCT<city: STRING, country_code: STRING>, created_at STRING, updated_at STRING') AS p
  FROM raw_batch
)

-- ====  IGNORED  ==============================================================
-- Payload fields staging knows and deliberately leaves in raw (anything else is reported as new).
admin_graphql_api_id name contact_email processed_at presentment_currency total_line_items_price test
line_items shipping_lines billing_address shipping_address customer app_id browser_ip buyer_accepts_marketing
cart_token checkout_id checkout_token client_details closed_at confirmation_number confirmed current_subtotal_price
current_subtotal_price_set current_total_discounts current_total_discounts_set current_total_price current_total_price_set
current_total_tax current_total_tax_set customer_locale discount_applications discount_codes estimated_taxes
fulfillments landing_site location_id note note_attributes number order_status_url payment_gateway_names phone
reference referring_site refunds subtotal_price_set tags tax_lines taxes_included token total_discounts_set
total_line_items_price_set total_outstanding total_price_set total_shipping_price_set total_tax_set total_tip_received
total_weight user_id merchant_of_record_app_id po_number cancel_reason
current_shipping_price_set current_total_additional_fees_set current_total_duties_set device_id duties_included
landing_site_ref line_item_groups merchant_business_entity_id original_total_additional_fees_set
original_total_duties_set payment_terms returns source_identifier source_url tax_exempt
total_cash_rounding_payment_adjustment_set total_cash_rounding_refund_adjustment_set
