-- =============================================================================
-- semantic.entity_links
-- Every link at or above the threshold, with why: the weight of each comparison level.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS semantic.entity_links (
  rid_l              STRING  COMMENT 'the smaller record key of the pair',
  rid_r              STRING,
  blocked_on         STRING  COMMENT 'the first blocking pass that brought the pair together',
  match_weight       DOUBLE  COMMENT 'log2 Bayes factor, prior included (Fellegi-Sunter)',
  match_probability  DOUBLE,
  explanation        STRING  COMMENT 'comparison=level(weight), ...: e.g. email=exact(+19.8), dob=typo(+5.9)'
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
)
