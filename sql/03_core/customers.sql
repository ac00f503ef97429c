-- =============================================================================
-- core.customers: one golden record per entity (see README.md here for the survivorship rules).
-- Inputs: entity_map (source, source_id, entity_id) and the staging customer tables.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS core.customers (
  entity_id             STRING     COMMENT 'entity id (semantic.entity_index, else hash of the normalised email)',
  email                 STRING     COMMENT 'normalised (lower, trimmed): Shopify > HubSpot > Stripe',
  first_name            STRING     COMMENT 'HubSpot > Shopify > Stripe name',
  last_name             STRING     COMMENT 'HubSpot > Shopify > Stripe name',
  phone                 STRING     COMMENT 'Shopify > HubSpot > Stripe',
  city                  STRING     COMMENT 'Shopify default address > Stripe > HubSpot',
  country               STRING     COMMENT 'Shopify default address > Stripe > HubSpot',
  accepts_marketing     BOOLEAN    COMMENT 'Shopify consent only (the system that collects it)',
  lifecycle_stage       STRING     COMMENT 'HubSpot only',
  shopify_customer_id   STRING     COMMENT 'most recently updated Shopify record of the entity',
  stripe_customer_id    STRING     COMMENT 'most recently updated live (not deleted) Stripe customer',
  hubspot_contact_id    STRING     COMMENT 'most recently updated live HubSpot contact',
  source_record_count   INT        COMMENT 'source records linked to the entity',
  in_shopify            BOOLEAN,
  in_stripe             BOOLEAN,
  in_hubspot            BOOLEAN,
  first_seen_at         TIMESTAMP  COMMENT 'earliest created_at over all sources',
  last_updated_at       TIMESTAMP  COMMENT 'latest updated_at over all sources',
  _built_at             TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
WITH records AS (
  SELECT m.entity_id, 'shopify' AS source, 1 AS email_rank, 2 AS name_rank, 1 AS phone_rank, 1 AS address_rank,
         c.customer_id AS source_id, lower(trim(c.email)) AS email, c.first_name, c.last_name, c.phone,
         c.address_city AS city, c.address_country AS country, c.accepts_marketing, CAST(NULL AS STRING) AS lifecycle_stage,
         false AS is_deleted, c.created_at, c.updated_at
  FROM staging_stg_shopify_customers c JOIN entity_map m ON m.source = 'shopify' AND m.source_id = c.customer_id
  UNION ALL
  SELECT m.entity_id, 'stripe', 3, 3, 3, 2, c.customer_id, lower(trim(c.email)),
         CASE WHEN instr(c.name, ' ') > 0 THEN substring_index(c.name, ' ', 1) ELSE c.name END,
         CASE WHEN instr(c.name, ' ') > 0 THEN substr(c.name, instr(c.name, ' ') + 1) END,
         c.phone, c.address_city, c.address_country, CAST(NULL AS BOOLEAN), CAST(NULL AS STRING),
         c.is_deleted, c.created_at, c.updated_at
  FROM staging_stg_stripe_customers c JOIN entity_map m ON m.source = 'stripe' AND m.source_id = c.customer_id
  UNION ALL
  SELECT m.entity_id, 'hubspot', 2, 1, 2, 3, c.contact_id, lower(trim(c.email)), c.first_name, c.last_name,
         c.phone, c.city, c.country, CAST(NULL AS BOOLEAN), c.lifecycle_stage, c.is_deleted, c.created_at, c.updated_at
  FROM staging_stg_hubspot_contacts c JOIN entity_map m ON m.source = 'hubspot' AND m.source_id = c.contact_id
),
live AS (SELECT * FROM records WHERE NOT is_deleted)
SELECT
  entity_id,
  min_by(email, struct(email_rank, coalesce(-unix_micros(updated_at), 0), source_id)) FILTER (WHERE email IS NOT NULL) AS email,
  min_by(first_name, struct(name_rank, coalesce(-unix_micros(updated_at), 0), source_id)) FILTER (WHERE first_name IS NOT NULL) AS first_name,
  min_by(last_name, struct(name_rank, coalesce(-unix_micros(updated_at), 0), source_id)) FILTER (WHERE last_name IS NOT NULL) AS last_name,
  min_by(phone, struct(phone_rank, coalesce(-unix_micros(updated_at), 0), source_id)) FILTER (WHERE phone IS NOT NULL) AS phone,
  min_by(city, struct(address_rank, coalesce(-unix_micros(updated_at), 0), source_id)) FILTER (WHERE city IS NOT NULL) AS city,
  min_by(country, struct(address_rank, coalesce(-unix_micros(updated_at), 0), source_id)) FILTER (WHERE country IS NOT NULL) AS country,
  max_by(accepts_marketing, struct(updated_at, source_id)) FILTER (WHERE accepts_marketing IS NOT NULL) AS accepts_marketing,
  max_by(lifecycle_stage, struct(updated_at, source_id)) FILTER (WHERE lifecycle_stage IS NOT NULL) AS lifecycle_stage,
  max_by(source_id, struct(updated_at, source_id)) FILTER (WHERE source = 'shopify') AS shopify_customer_id,
  max_by(source_id, struct(updated_at, source_id)) FILTER (WHERE source = 'stripe') AS stripe_customer_id,
  max_by(source_id, struct(updated_at, source_id)) FILTER (WHERE source = 'hubspot') AS hubspot_contact_id,
  CAST(count(*) AS INT) AS source_record_count,
  bool_or(source = 'shopify') AS in_shopify,
  bool_or(source = 'stripe') AS in_stripe,
  bool_or(source = 'hubspot') AS in_hubspot,
  min(created_at) AS first_seen_at,
  max(updated_at) AS last_updated_at,
  current_timestamp() AS _built_at
FROM live
GROUP BY entity_id

-- ====  CHANGED_KEYS  =========================================================
-- entities (old and new) of every source record that changed or moved between entities
SELECT m.entity_id FROM entity_map m JOIN (
  SELECT 'shopify' AS source, customer_id AS source_id FROM delta_staging_stg_shopify_customers
  UNION ALL SELECT 'stripe', customer_id FROM delta_staging_stg_stripe_customers
  UNION ALL SELECT 'hubspot', contact_id FROM delta_staging_stg_hubspot_contacts
) d ON m.source = d.source AND m.source_id = d.source_id
UNION ALL
SELECT entity_id FROM entity_map_delta
