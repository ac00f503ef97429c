-- =============================================================================
-- semantic.entity_index
-- One row per person record (source, source_id): its normalised keys and the entity it belongs to.
-- Written by jobs/spark/entity_resolution.py; the method is sql/02_semantic/er_method.sql.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS semantic.entity_index (
  rid                STRING     COMMENT '<source>|<source_id>: the record key',
  source             STRING     COMMENT 'shopify, stripe, hubspot, ... (er_sources.yaml)',
  source_id          STRING     COMMENT 'the record id in its source',
  first_name         STRING     COMMENT 'Unicode-folded, lower case, one token',
  first_name_canon   STRING     COMMENT 'first_name with nicknames mapped to the formal name',
  last_name          STRING,
  email              STRING     COMMENT 'lower case; provider aliases folded where safe (gmail dots, +tags)',
  phone              STRING     COMMENT 'E.164',
  street_number      STRING,
  street             STRING     COMMENT 'folded, postal abbreviations',
  address_2          STRING,
  city               STRING,
  state              STRING,
  postcode           STRING,
  dob                STRING     COMMENT 'YYYYMMDD',
  national_id        STRING,
  record_hash        STRING     COMMENT 'md5 of the normalised fields: a changed record is re-resolved',
  entity_id          STRING     COMMENT 'stable entity id (kept across runs; merged ids in entity_aliases)',
  match_confidence   DOUBLE     COMMENT 'strongest link probability to the rest of its entity; NULL alone',
  first_seen_at      TIMESTAMP  COMMENT 'first run that saw the record',
  updated_at         TIMESTAMP  COMMENT 'last run that changed its keys'
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
)
