-- =============================================================================
-- metadata.staging_rejects
-- Raw rows a staging TRANSFORM could not type (a value that does not parse as the column's type, an
-- index past the end of an array: Spark's data exceptions, SQLSTATE class 22). The row stays in raw,
-- untouched; it is listed here, left out of its staging table, and the rest of its batch is staged.
-- Incremental runs skip the rows listed; `--mode full` and `--mode range` try them again (after the
-- SQL or the data is fixed) and drop the ones that now type from this list. Created on the first reject.
-- =============================================================================
-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS metadata.staging_rejects (
  table_name        STRING     COMMENT 'the staging table, e.g. staging.stg_shopify_orders',
  raw_table         STRING     COMMENT 'the raw table the row is in',
  _kafka_partition  INT        COMMENT 'the raw row: its Kafka partition ...',
  _kafka_offset     BIGINT     COMMENT '... and offset',
  _webhook_id       STRING     COMMENT 'the delivery id (Shopify webhook id, Stripe event id, HubSpot event id)',
  object_id         STRING     COMMENT 'the object id of the raw row',
  error             STRING     COMMENT 'the error Spark gives for this row alone (error class first)',
  rejected_at       TIMESTAMP  COMMENT 'when the row was (last) found failing'
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd'
);
