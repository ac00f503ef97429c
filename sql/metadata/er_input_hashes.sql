-- =============================================================================
-- metadata.er_input_hashes
-- For each person record entity resolution has normalised into semantic.entity_index: a hash of its
-- input fields as the sources gave them (and of the normalising code). An incremental run normalises
-- only the records whose hash is new or different; the others are unchanged in the index.
-- Written by jobs/spark/entity_resolution.py after semantic.entity_index has committed, so it never
-- names a record the index does not hold as normalised from that input.
-- =============================================================================
-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS metadata.er_input_hashes (
  rid         STRING  COMMENT '<source>|<id> as the sources give them (the rid of the index for plain ids)',
  input_hash  STRING  COMMENT 'sha-256 of the input fields, the phone region and er_core.py'
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
);
