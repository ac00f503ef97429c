-- =============================================================================
-- top_customers_ltv: the 25 customers with the highest lifetime value, with
-- their profile across sources (Shopify, Stripe, HubSpot ids and CRM stage).
-- Reads marts.customer_360 (one row per resolved entity), whose contract this
-- query assumes:
--   entity_id STRING, full_name STRING, email STRING, country STRING,
--   lifetime_value DECIMAL(18,2), order_count BIGINT, first_order_at TIMESTAMP,
--   last_order_at TIMESTAMP, shopify_customer_id STRING, stripe_customer_id STRING,
--   hubspot_contact_id STRING, lifecycle_stage STRING, source_count INT
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  entity_id,
  full_name,
  email,
  country,
  lifetime_value,
  order_count,
  CAST(lifetime_value / nullif(order_count, 0) AS DECIMAL(18, 2))  AS avg_order_value,
  last_order_at,
  date_diff('day', last_order_at, current_timestamp)                AS days_since_last_order,
  shopify_customer_id,
  stripe_customer_id,
  hubspot_contact_id,
  lifecycle_stage,
  source_count
FROM marts.customer_360
ORDER BY lifetime_value DESC NULLS LAST, entity_id
LIMIT 25
