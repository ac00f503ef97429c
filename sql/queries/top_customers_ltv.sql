-- =============================================================================
-- top_customers_ltv: the 25 customers with the highest lifetime value, with
-- their profile across sources (Shopify, Stripe and HubSpot ids, CRM stage).
-- Reads marts.customer_360 (sql/05_marts/customer_360.sql: one row per
-- resolved entity). Recency is computed at query time, as the mart intends.
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  entity_id,
  nullif(trim(concat_ws(' ', first_name, last_name)), '')           AS name,
  email,
  country,
  lifetime_value,
  order_count,
  average_order_value,
  last_order_date,
  date_diff('day', last_order_date, current_date)                   AS days_since_last_order,
  payments_amount,
  dispute_count,
  source_count,
  shopify_customer_id,
  stripe_customer_id,
  hubspot_contact_id,
  lifecycle_stage
FROM marts.customer_360
ORDER BY lifetime_value DESC, entity_id
LIMIT 25
