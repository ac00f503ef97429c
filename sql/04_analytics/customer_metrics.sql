-- =============================================================================
-- analytics.customer_metrics: per entity lifetime value, frequency and the dates recency is
-- computed from. Recency in days is not stored (it would go stale between runs): compute
-- datediff(current_date(), last_order_date) at query time (marts.customer_360 view does).
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS analytics.customer_metrics (
  entity_id             STRING,
  order_count           BIGINT         COMMENT 'orders, cancelled excluded',
  paid_order_count      BIGINT,
  lifetime_value        DECIMAL(18,2)  COMMENT 'sum of paid, not cancelled order totals (shop currency)',
  average_order_value   DECIMAL(18,2),
  refunded_order_count  BIGINT,
  first_order_date      DATE,
  last_order_date       DATE,
  order_frequency_days  DECIMAL(10,2)  COMMENT 'mean days between orders (null below two orders)',
  payment_count         BIGINT         COMMENT 'succeeded Stripe charges',
  payments_amount       DECIMAL(18,3)  COMMENT 'succeeded Stripe charges, net of refunds',
  dispute_count         BIGINT,
  _built_at             TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
WITH o AS (
  SELECT entity_id,
    count(*) FILTER (WHERE NOT is_cancelled) AS order_count,
    count(*) FILTER (WHERE is_paid AND NOT is_cancelled) AS paid_order_count,
    CAST(coalesce(sum(total_amount) FILTER (WHERE is_paid AND NOT is_cancelled), 0) AS DECIMAL(18,2)) AS lifetime_value,
    count(*) FILTER (WHERE is_refunded) AS refunded_order_count,
    min(order_date) FILTER (WHERE NOT is_cancelled) AS first_order_date,
    max(order_date) FILTER (WHERE NOT is_cancelled) AS last_order_date
  FROM core_orders WHERE entity_id IS NOT NULL GROUP BY entity_id
),
p AS (
  SELECT entity_id,
    count(*) FILTER (WHERE is_succeeded) AS payment_count,
    CAST(coalesce(sum(amount - amount_refunded) FILTER (WHERE is_succeeded), 0) AS DECIMAL(18,3)) AS payments_amount,
    count(*) FILTER (WHERE is_disputed) AS dispute_count
  FROM core_payments WHERE entity_id IS NOT NULL GROUP BY entity_id
)
SELECT
  coalesce(o.entity_id, p.entity_id) AS entity_id,
  coalesce(o.order_count, 0) AS order_count,
  coalesce(o.paid_order_count, 0) AS paid_order_count,
  coalesce(o.lifetime_value, 0) AS lifetime_value,
  CAST(CASE WHEN o.paid_order_count > 0 THEN o.lifetime_value / o.paid_order_count END AS DECIMAL(18,2)) AS average_order_value,
  coalesce(o.refunded_order_count, 0) AS refunded_order_count,
  o.first_order_date, o.last_order_date,
  CAST(CASE WHEN o.order_count > 1
            THEN datediff(o.last_order_date, o.first_order_date) / (o.order_count - 1) END AS DECIMAL(10,2)) AS order_frequency_days,
  coalesce(p.payment_count, 0) AS payment_count,
  coalesce(p.payments_amount, 0) AS payments_amount,
  coalesce(p.dispute_count, 0) AS dispute_count,
  current_timestamp() AS _built_at
FROM o FULL OUTER JOIN p ON o.entity_id = p.entity_id

-- ====  CHANGED_KEYS  =========================================================
SELECT entity_id FROM delta_core_orders
UNION ALL SELECT entity_id FROM delta_core_payments
