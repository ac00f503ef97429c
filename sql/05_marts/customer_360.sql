-- =============================================================================
-- marts.customer_360: every attribute of a customer from every source, with its metrics.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS marts.customer_360 (
  entity_id             STRING,
  email                 STRING,
  first_name            STRING,
  last_name             STRING,
  phone                 STRING,
  city                  STRING,
  country               STRING,
  accepts_marketing     BOOLEAN,
  lifecycle_stage       STRING,
  shopify_customer_id   STRING,
  stripe_customer_id    STRING,
  hubspot_contact_id    STRING,
  source_count          INT            COMMENT 'systems the customer is known to (1-3)',
  order_count           BIGINT,
  lifetime_value        DECIMAL(18,2),
  average_order_value   DECIMAL(18,2),
  first_order_date      DATE,
  last_order_date       DATE           COMMENT 'recency = datediff(current_date(), last_order_date), at query time',
  order_frequency_days  DECIMAL(10,2),
  payments_amount       DECIMAL(18,3),
  dispute_count         BIGINT,
  is_repeat_customer    BOOLEAN        COMMENT 'two or more orders',
  first_seen_at         TIMESTAMP,
  _built_at             TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
SELECT
  c.entity_id, c.email, c.first_name, c.last_name, c.phone, c.city, c.country, c.accepts_marketing,
  c.lifecycle_stage, c.shopify_customer_id, c.stripe_customer_id, c.hubspot_contact_id,
  CAST(CAST(c.in_shopify AS INT) + CAST(c.in_stripe AS INT) + CAST(c.in_hubspot AS INT) AS INT) AS source_count,
  coalesce(m.order_count, 0) AS order_count,
  coalesce(m.lifetime_value, 0) AS lifetime_value,
  m.average_order_value, m.first_order_date, m.last_order_date, m.order_frequency_days,
  coalesce(m.payments_amount, 0) AS payments_amount,
  coalesce(m.dispute_count, 0) AS dispute_count,
  coalesce(m.order_count, 0) >= 2 AS is_repeat_customer,
  c.first_seen_at,
  current_timestamp() AS _built_at
FROM core_customers c
LEFT JOIN analytics_customer_metrics m ON m.entity_id = c.entity_id

-- ====  CHANGED_KEYS  =========================================================
SELECT entity_id FROM delta_core_customers
UNION ALL SELECT entity_id FROM delta_analytics_customer_metrics
