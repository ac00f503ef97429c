-- =============================================================================
-- sales_dashboard_daily: the sales dashboard, the 30 days up to the latest day:
-- GMV, AOV, orders, new customers, refund and dispute rates.
-- Reads marts.sales_dashboard_daily (sql/05_marts/sales_dashboard_daily.sql:
-- one row per day; rates are fractions, shown here as percentages).
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  "date",
  order_count,
  paid_order_count,
  cancelled_count,
  gmv,
  aov,
  new_customer_count,
  round(100 * CAST(order_refund_rate AS DOUBLE), 2)                 AS order_refund_pct,
  payment_count,
  payment_amount,
  round(100 * CAST(payment_refund_rate AS DOUBLE), 2)               AS payment_refund_pct,
  round(100 * CAST(dispute_rate AS DOUBLE), 3)                      AS dispute_pct
FROM marts.sales_dashboard_daily
WHERE "date" > (SELECT max("date") FROM marts.sales_dashboard_daily) - INTERVAL '30' DAY
ORDER BY "date" DESC
