-- =============================================================================
-- entity_resolution_coverage: per source, how many records entity resolution
-- linked to an entity that other sources share, and how confident the links are.
-- Reads semantic.entity_index (one row per source record: entity_id, source,
-- source_id, match_confidence, ...; see ARCHITECTURE.md "Semantic").
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
WITH entities AS (
  SELECT entity_id, count(DISTINCT source) AS sources
  FROM semantic.entity_index
  GROUP BY entity_id
)
SELECT
  i.source,
  count(*)                                                          AS records,
  count(DISTINCT i.entity_id)                                       AS entities,
  count_if(coalesce(e.sources > 1, false))                                           AS records_linked_cross_source,
  round(100 * CAST(count_if(coalesce(e.sources > 1, false)) AS DOUBLE) / count(*), 1)              AS cross_source_coverage_pct,
  round(avg(CAST(i.match_confidence AS DOUBLE)), 3)                 AS avg_match_confidence,
  count_if(coalesce(i.match_confidence < 0.9, false))                                AS low_confidence_links
FROM semantic.entity_index i
JOIN entities e ON e.entity_id = i.entity_id
GROUP BY i.source
ORDER BY records DESC, i.source
