-- =============================================================================
-- semantic.blocking_index
-- The blocking keys of every record, one row per (record, pass): new records are blocked against it.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS semantic.blocking_index (
  blocking_key   STRING  COMMENT 'the key value, e.g. an E.164 phone or "anna|rossi"',
  blocking_type  STRING  COMMENT 'the pass: email, phone, national_id, name, dob, address, postcode_initial, city_last_name',
  source         STRING,
  source_id      STRING,
  rid            STRING  COMMENT '<source>|<source_id>'
)
USING iceberg
PARTITIONED BY (blocking_type)
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
)
