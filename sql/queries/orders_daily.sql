-- =============================================================================
-- orders_daily: orders, paid share, GMV and average order value per day
-- Reads staging.stg_shopify_orders (one row per order, latest version), so it
-- works before the marts exist. Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  order_date,
  count(*)                                                         AS orders,
  count_if(coalesce(is_paid, false))                               AS paid_orders,
  count_if(coalesce(is_fulfilled, false))                          AS fulfilled_orders,
  count(DISTINCT customer_id)                                      AS customers,
  CAST(sum(total_amount) AS DECIMAL(18, 2))                        AS gmv,
  CAST(sum(total_amount) / count(*) AS DECIMAL(18, 2))             AS avg_order_value,
  CAST(sum(discount_amount) AS DECIMAL(18, 2))                     AS discounts
FROM staging.stg_shopify_orders
GROUP BY order_date
ORDER BY order_date DESC
LIMIT 31
