-- =============================================================================
-- core.orders: Shopify orders linked to entities (via the order's customer, else its email).
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS core.orders (
  order_id            STRING,
  entity_id           STRING         COMMENT 'entity of the Shopify customer, else of the order email',
  shopify_customer_id STRING,
  order_number        BIGINT,
  order_date          DATE,
  created_at          TIMESTAMP,
  channel             STRING         COMMENT 'Shopify source_name',
  region              STRING         COMMENT 'shipping country, else billing country, else unknown',
  currency            STRING,
  total_amount        DECIMAL(18,2),
  subtotal_amount     DECIMAL(18,2),
  tax_amount          DECIMAL(18,2),
  discount_amount     DECIMAL(18,2),
  shipping_amount     DECIMAL(18,2),
  line_item_count     INT,
  financial_status    STRING,
  fulfillment_status  STRING,
  is_paid             BOOLEAN,
  is_fulfilled        BOOLEAN,
  is_cancelled        BOOLEAN,
  is_refunded         BOOLEAN        COMMENT 'financial_status in (refunded, partially_refunded)',
  updated_at          TIMESTAMP,
  _built_at           TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
SELECT
  o.order_id,
  coalesce(m.entity_id, concat('ent_', substr(sha2(lower(trim(o.email)), 256), 1, 24))) AS entity_id,
  o.customer_id AS shopify_customer_id,
  o.order_number, o.order_date, o.created_at,
  coalesce(o.channel, 'unknown') AS channel,
  coalesce(o.shipping_country, o.billing_country, 'unknown') AS region,
  o.currency, o.total_amount, o.subtotal_amount, o.tax_amount, o.discount_amount, o.shipping_amount,
  o.line_item_count, o.financial_status, o.fulfillment_status,
  coalesce(o.is_paid, false) AS is_paid, coalesce(o.is_fulfilled, false) AS is_fulfilled,
  coalesce(o.is_cancelled, false) AS is_cancelled,
  coalesce(o.financial_status IN ('refunded', 'partially_refunded'), false) AS is_refunded,
  o.updated_at,
  current_timestamp() AS _built_at
FROM staging_stg_shopify_orders o
LEFT JOIN entity_map m ON m.source = 'shopify' AND m.source_id = o.customer_id

-- ====  CHANGED_KEYS  =========================================================
SELECT order_id FROM delta_staging_stg_shopify_orders
UNION ALL
SELECT o.order_id FROM staging_stg_shopify_orders o
JOIN entity_map_delta d ON d.source = 'shopify' AND d.source_id = o.customer_id
