-- =============================================================================
-- marts.sales_dashboard_daily: one row per day for the sales dashboard: GMV, AOV, orders,
-- new and returning customers, refund and dispute rates.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS marts.sales_dashboard_daily (
  date                  DATE,
  order_count           BIGINT,
  paid_order_count      BIGINT,
  cancelled_count       BIGINT,
  gmv                   DECIMAL(18,2)  COMMENT 'gross sales of orders not cancelled',
  aov                   DECIMAL(18,2)  COMMENT 'gmv / orders not cancelled',
  refunded_order_count  BIGINT,
  order_refund_rate     DECIMAL(9,6)   COMMENT 'refunded orders / orders not cancelled',
  new_customer_count    BIGINT         COMMENT 'entities whose first order is on this date',
  payment_count         BIGINT         COMMENT 'succeeded Stripe charges',
  payment_amount        DECIMAL(18,3),
  payment_refund_rate   DECIMAL(9,6),
  dispute_rate          DECIMAL(9,6),
  _built_at             TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
WITH o AS (
  SELECT order_date AS date, sum(order_count) AS order_count, sum(paid_order_count) AS paid_order_count,
         sum(cancelled_count) AS cancelled_count, CAST(sum(gross_sales) AS DECIMAL(18,2)) AS gmv,
         sum(refunded_order_count) AS refunded_order_count
  FROM analytics_order_summary GROUP BY order_date
),
p AS (
  SELECT payment_date AS date, sum(succeeded_count) AS payment_count,
         CAST(sum(succeeded_amount) AS DECIMAL(18,3)) AS payment_amount,
         sum(refunded_count) AS refunded_count, sum(disputed_count) AS disputed_count
  FROM analytics_payment_metrics GROUP BY payment_date
),
n AS (
  SELECT first_order_date AS date, count(*) AS new_customer_count
  FROM analytics_customer_metrics WHERE first_order_date IS NOT NULL GROUP BY first_order_date
),
d AS (SELECT date FROM o UNION SELECT date FROM p UNION SELECT date FROM n)
SELECT
  d.date,
  coalesce(o.order_count, 0) AS order_count,
  coalesce(o.paid_order_count, 0) AS paid_order_count,
  coalesce(o.cancelled_count, 0) AS cancelled_count,
  coalesce(o.gmv, 0) AS gmv,
  CAST(CASE WHEN o.order_count - o.cancelled_count > 0 THEN o.gmv / (o.order_count - o.cancelled_count) END AS DECIMAL(18,2)) AS aov,
  coalesce(o.refunded_order_count, 0) AS refunded_order_count,
  CAST(CASE WHEN o.order_count - o.cancelled_count > 0
            THEN o.refunded_order_count / (o.order_count - o.cancelled_count) END AS DECIMAL(9,6)) AS order_refund_rate,
  coalesce(n.new_customer_count, 0) AS new_customer_count,
  coalesce(p.payment_count, 0) AS payment_count,
  coalesce(p.payment_amount, 0) AS payment_amount,
  CAST(CASE WHEN p.payment_count > 0 THEN p.refunded_count / p.payment_count END AS DECIMAL(9,6)) AS payment_refund_rate,
  CAST(CASE WHEN p.payment_count > 0 THEN p.disputed_count / p.payment_count END AS DECIMAL(9,6)) AS dispute_rate,
  current_timestamp() AS _built_at
FROM d
LEFT JOIN o ON o.date = d.date
LEFT JOIN p ON p.date = d.date
LEFT JOIN n ON n.date = d.date

-- ====  CHANGED_KEYS  =========================================================
SELECT order_date AS date FROM delta_analytics_order_summary
UNION ALL SELECT payment_date FROM delta_analytics_payment_metrics
UNION ALL SELECT first_order_date FROM delta_analytics_customer_metrics
