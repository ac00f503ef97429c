-- =============================================================================
-- sales_daily_by_channel: the sales dashboard, last 30 days, one row per day
-- and channel. Reads marts.sales_dashboard_daily (built by the marts job), whose
-- contract this query assumes:
--   sales_date DATE, channel STRING, orders BIGINT, customers BIGINT,
--   gross_revenue DECIMAL(18,2), refunded_amount DECIMAL(18,2),
--   net_revenue DECIMAL(18,2), avg_order_value DECIMAL(18,2)
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  sales_date,
  channel,
  orders,
  customers,
  gross_revenue,
  refunded_amount,
  net_revenue,
  avg_order_value,
  round(100.0 * gross_revenue / nullif(sum(gross_revenue) OVER (PARTITION BY sales_date), 0), 1)
                                                                   AS revenue_share_pct
FROM marts.sales_dashboard_daily
WHERE sales_date >= date_add('day', -30, current_date)
ORDER BY sales_date DESC, gross_revenue DESC
