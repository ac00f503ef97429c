-- =============================================================================
-- metadata.incremental_watermarks
-- How far each incremental job has read each raw table, by Iceberg snapshot id.
-- A row advances only after the write it covers has committed (invariant 2).
-- =============================================================================
-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS metadata.incremental_watermarks (
  job_name          STRING     COMMENT 'job and target, e.g. staging.stg_shopify_orders',
  source_table      STRING     COMMENT 'the raw table read',
  last_snapshot_id  BIGINT     COMMENT 'last source snapshot fully processed (inclusive)',
  rows_processed    BIGINT     COMMENT 'rows read in the run that set this watermark',
  updated_at        TIMESTAMP  COMMENT 'when the watermark advanced'
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd'
);
