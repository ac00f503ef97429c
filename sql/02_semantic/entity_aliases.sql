-- =============================================================================
-- semantic.entity_aliases
-- Entity ids retired by a merge, pointing at the id that survived (always a live id).
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS semantic.entity_aliases (
  alias_id   STRING     COMMENT 'the retired entity id',
  entity_id  STRING     COMMENT 'the live entity id it now resolves to',
  merged_at  TIMESTAMP
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
)
