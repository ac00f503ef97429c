-- =============================================================================
-- semantic.entity_resolution_stats
-- One row per entity-resolution run.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS semantic.entity_resolution_stats (
  run_id               STRING     COMMENT 'the run',
  mode                 STRING     COMMENT 'full or incremental',
  run_at               TIMESTAMP,
  records              BIGINT     COMMENT 'records in the index after the run',
  changed_records      BIGINT     COMMENT 'new or changed records this run',
  candidate_pairs      BIGINT     COMMENT 'pairs compared this run (after blocking)',
  reduction_ratio      DOUBLE     COMMENT '1 - candidate_pairs / (records choose 2)',
  matches              BIGINT     COMMENT 'links at or above the threshold found this run',
  links_total          BIGINT     COMMENT 'links in the index after the run',
  clusters_recomputed  BIGINT,
  entities             BIGINT,
  largest_cluster      BIGINT,
  split_clusters       BIGINT     COMMENT 'clusters cut at max_cluster_size (anti-chaining)',
  merges               BIGINT     COMMENT 'entity ids retired into another this run',
  seconds              DOUBLE,
  params               STRING     COMMENT 'the parameters (JSON): thresholds, guards, weights'
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd'
)
