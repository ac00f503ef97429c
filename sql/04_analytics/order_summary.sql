-- =============================================================================
-- analytics.order_summary: daily orders and revenue by channel and region.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS analytics.order_summary (
  order_date            DATE,
  channel               STRING,
  region                STRING,
  order_count           BIGINT         COMMENT 'orders placed, cancelled included',
  cancelled_count       BIGINT,
  paid_order_count      BIGINT,
  refunded_order_count  BIGINT,
  gross_sales           DECIMAL(18,2)  COMMENT 'GMV: totals of orders not cancelled',
  paid_sales            DECIMAL(18,2),
  discount_amount       DECIMAL(18,2),
  tax_amount            DECIMAL(18,2),
  shipping_amount       DECIMAL(18,2),
  customer_count        BIGINT         COMMENT 'distinct entities',
  _built_at             TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
SELECT
  order_date, channel, region,
  count(*) AS order_count,
  count(*) FILTER (WHERE is_cancelled) AS cancelled_count,
  count(*) FILTER (WHERE is_paid AND NOT is_cancelled) AS paid_order_count,
  count(*) FILTER (WHERE is_refunded) AS refunded_order_count,
  CAST(coalesce(sum(total_amount) FILTER (WHERE NOT is_cancelled), 0) AS DECIMAL(18,2)) AS gross_sales,
  CAST(coalesce(sum(total_amount) FILTER (WHERE is_paid AND NOT is_cancelled), 0) AS DECIMAL(18,2)) AS paid_sales,
  CAST(coalesce(sum(discount_amount), 0) AS DECIMAL(18,2)) AS discount_amount,
  CAST(coalesce(sum(tax_amount), 0) AS DECIMAL(18,2)) AS tax_amount,
  CAST(coalesce(sum(shipping_amount), 0) AS DECIMAL(18,2)) AS shipping_amount,
  count(DISTINCT entity_id) AS customer_count,
  current_timestamp() AS _built_at
FROM core_orders
WHERE order_date IS NOT NULL
GROUP BY order_date, channel, region

-- ====  CHANGED_KEYS  =========================================================
SELECT order_date, channel, region FROM delta_core_orders
