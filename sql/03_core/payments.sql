-- =============================================================================
-- core.payments: Stripe charges with their refunds and disputes, linked to entities
-- (via the Stripe customer, else the billing email). Money in the charge currency, major units.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS core.payments (
  payment_id          STRING         COMMENT 'Stripe charge id',
  entity_id           STRING,
  stripe_customer_id  STRING,
  payment_intent_id   STRING,
  payment_date        DATE           COMMENT 'charge created, UTC date',
  created_at          TIMESTAMP,
  payment_method      STRING         COMMENT 'payment_method_details.type, else unknown',
  card_brand          STRING,
  currency            STRING,
  amount              DECIMAL(18,3),
  amount_refunded     DECIMAL(18,3)  COMMENT 'greatest of the charge''s amount_refunded and its succeeded refunds',
  refund_count        INT,
  status              STRING,
  is_succeeded        BOOLEAN,
  is_refunded         BOOLEAN,
  is_disputed         BOOLEAN        COMMENT 'a dispute exists (or the charge says so)',
  dispute_status      STRING         COMMENT 'status of the latest dispute',
  is_dispute_lost     BOOLEAN,
  updated_at          TIMESTAMP,
  _built_at           TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
WITH refunds AS (
  SELECT charge_id, CAST(sum(amount) FILTER (WHERE is_succeeded) AS DECIMAL(18,3)) AS refunded,
         CAST(count(*) FILTER (WHERE is_succeeded) AS INT) AS n
  FROM staging_stg_stripe_refunds GROUP BY charge_id
),
disputes AS (
  SELECT charge_id, max_by(status, struct(created_at, dispute_id)) AS status, bool_or(is_lost) AS lost
  FROM staging_stg_stripe_disputes GROUP BY charge_id
)
SELECT
  c.charge_id AS payment_id,
  coalesce(m.entity_id, CASE WHEN c.billing_email IS NOT NULL
                             THEN concat('ent_', substr(sha2(lower(trim(c.billing_email)), 256), 1, 24)) END) AS entity_id,
  c.customer_id AS stripe_customer_id,
  c.payment_intent_id,
  to_date(c.created_at) AS payment_date,
  c.created_at,
  coalesce(c.payment_method_type, 'unknown') AS payment_method,
  c.card_brand, c.currency, c.amount,
  greatest(coalesce(c.amount_refunded, 0), coalesce(r.refunded, 0)) AS amount_refunded,
  coalesce(r.n, 0) AS refund_count,
  c.status, c.is_succeeded,
  c.is_refunded OR coalesce(r.refunded, 0) > 0 AS is_refunded,
  c.is_disputed OR d.charge_id IS NOT NULL AS is_disputed,
  d.status AS dispute_status,
  coalesce(d.lost, false) AS is_dispute_lost,
  c.updated_at,
  current_timestamp() AS _built_at
FROM staging_stg_stripe_charges c
LEFT JOIN entity_map m ON m.source = 'stripe' AND m.source_id = c.customer_id
LEFT JOIN refunds r ON r.charge_id = c.charge_id
LEFT JOIN disputes d ON d.charge_id = c.charge_id

-- ====  CHANGED_KEYS  =========================================================
SELECT charge_id AS payment_id FROM delta_staging_stg_stripe_charges
UNION ALL SELECT charge_id FROM delta_staging_stg_stripe_refunds
UNION ALL SELECT charge_id FROM delta_staging_stg_stripe_disputes
UNION ALL
SELECT c.charge_id FROM staging_stg_stripe_charges c
JOIN entity_map_delta d ON d.source = 'stripe' AND d.source_id = c.customer_id
