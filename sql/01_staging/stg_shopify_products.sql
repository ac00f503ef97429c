-- =============================================================================
-- staging.stg_shopify_products
-- One row per Shopify product (`products/create|update` bodies): typed, variants summarised
-- (count, price range, stock), latest version wins. MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_shopify_products (
  product_id          STRING         COMMENT 'Shopify product id',
  title               STRING,
  vendor              STRING,
  product_type        STRING,
  handle              STRING,
  status              STRING         COMMENT 'active, archived, draft',
  tags                STRING,
  variant_count       INT,
  min_price           DECIMAL(18,2)  COMMENT 'lowest variant price',
  max_price           DECIMAL(18,2)  COMMENT 'highest variant price',
  inventory_quantity  BIGINT         COMMENT 'sum of variants inventory_quantity',
  is_active           BOOLEAN        COMMENT 'status = active',
  is_published        BOOLEAN        COMMENT 'published_at is set',
  published_at        TIMESTAMP,
  created_at          TIMESTAMP,
  updated_at          TIMESTAMP,
  _webhook_id         STRING,
  _kafka_partition    INT,
  _kafka_offset       BIGINT,
  _raw_id             STRING,
  _staged_at          TIMESTAMP
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read',
  'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
);

-- ====  TRANSFORM  ============================================================
SELECT
  product_id, title, vendor, product_type, handle, status, tags,
  CAST(size(variants) AS INT)                                            AS variant_count,
  array_min(transform(variants, v -> try_cast(v.price AS DECIMAL(18,2)))) AS min_price,
  array_max(transform(variants, v -> try_cast(v.price AS DECIMAL(18,2)))) AS max_price,
  aggregate(variants, CAST(0 AS BIGINT), (acc, v) -> acc + coalesce(v.inventory_quantity, 0)) AS inventory_quantity,
  coalesce(status = 'active', false)                                     AS is_active,
  published_at IS NOT NULL                                               AS is_published,
  published_at, created_at, updated_at,
  _webhook_id, _kafka_partition, _kafka_offset,
  concat('shopify.products/', _kafka_partition, '/', _kafka_offset)      AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT
    p.id                                                                 AS product_id,
    p.title                                                              AS title,
    p.vendor                                                             AS vendor,
    p.product_type                                                       AS product_type,
    p.handle                                                             AS handle,
    p.status                                                             AS status,
    p.tags                                                               AS tags,
    coalesce(p.variants, array())                                        AS variants,
    try_to_timestamp(p.published_at)                                     AS published_at,
    try_to_timestamp(p.created_at)                                       AS created_at,
    try_to_timestamp(p.updated_at)                                       AS updated_at,
    _webhook_id, _kafka_partition, _kafka_offset
  FROM (
    -- the payload parsed once, into `p`: a get_json_object per field would parse it again for each
    SELECT *, from_json(payload, '
      variants ARRAY<STRUCT<price: STRING, inventory_quantity: BIGINT>>, id STRING, title STRING,
      vendor STRING, product_type STRING, handle STRING, status STRING, tags STRING, published_at STRING,
      created_at STRING, updated_at STRING') AS p
    FROM raw_batch
  )
)

-- ====  IGNORED  ==============================================================
admin_graphql_api_id body_html template_suffix published_scope variants options images image
variant_gids has_variants_that_requires_components category media
