-- =============================================================================
-- sales_daily_by_channel: daily sales by channel for the 30 days up to the
-- latest order date, with each channel's share of the day's GMV.
-- Reads analytics.order_summary (sql/04_analytics/order_summary.sql: one row
-- per order_date, channel and region; gross_sales = GMV of orders not cancelled).
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
WITH daily AS (
  SELECT
    order_date,
    coalesce(channel, 'unknown')                                    AS channel,
    sum(order_count)                                                AS orders,
    sum(cancelled_count)                                            AS cancelled,
    sum(paid_order_count)                                           AS paid_orders,
    sum(refunded_order_count)                                       AS refunded_orders,
    sum(gross_sales)                                                AS gmv,
    sum(customer_count)                                             AS customers
  FROM analytics.order_summary
  WHERE order_date > (SELECT max(order_date) FROM analytics.order_summary) - INTERVAL '30' DAY
  GROUP BY 1, 2
)
SELECT
  order_date,
  channel,
  orders,
  cancelled,
  paid_orders,
  refunded_orders,
  customers,
  CAST(gmv AS DECIMAL(18, 2))                                       AS gmv,
  CAST(gmv / nullif(orders - cancelled, 0) AS DECIMAL(18, 2))       AS aov,
  round(100.0 * CAST(gmv AS DOUBLE) / nullif(sum(CAST(gmv AS DOUBLE)) OVER (PARTITION BY order_date), 0), 1)
                                                                    AS gmv_share_pct
FROM daily
ORDER BY order_date DESC, gmv DESC, channel
