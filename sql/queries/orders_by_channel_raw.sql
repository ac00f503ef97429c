-- =============================================================================
-- orders_by_channel_raw: deliveries and distinct orders per Shopify channel
-- (`source_name`: web, pos, draft order) straight from the raw payloads, the
-- way an analyst checks the raw layer before the marts exist.
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  coalesce(json_extract_scalar(payload, '$.source_name'), 'unknown') AS channel,
  count(*)                                                           AS deliveries,
  count(DISTINCT object_id)                                          AS orders,
  min(_received_at)                                                  AS first_received_at,
  max(_received_at)                                                  AS last_received_at
FROM raw.shopify_orders
GROUP BY 1
ORDER BY deliveries DESC, channel
