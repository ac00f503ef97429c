-- =============================================================================
-- The HubSpot fold, shared by the four stg_hubspot_* tables (jobs/spark/staging.py, strategy `fold`).
--
-- A HubSpot webhook carries one property of one object (a CRM object read by a backfill carries them
-- all), so a staging row is a fold of the object's whole history: per property, the value of the
-- latest event. Each table's TRANSFORM aggregates the view `fold_events` that these sections build:
--   EVENTS         one row per (raw row, property) of `raw_batch`
--   STORED, UNFOLDED, STORED_EVENTS
--                  the events the staging row of an id already folded, kept in its `_fold_state`,
--                  and the new raw rows that are not among them
--   STATE          the new `_fold_state` of each id: the only events any aggregate of the fold can
--                  pick (per property the latest; the latest lifecycle event; the first and the last
--                  event; the last arrival), so folding them with newer events gives what folding
--                  the whole history gives, and an incremental run reads the new raw rows only.
-- `version` orders events: occurredAt (or a CRM object's updatedAt), then the Kafka position. The
-- state is an ordered set, so a full rebuild and any sequence of incremental runs store the same one.
-- =============================================================================

-- ====  EVENTS  ===============================================================
SELECT
  r.object_key, r.version_at, r.event_type, r.archived, r._webhook_id, r._kafka_partition, r._kafka_offset,
  e.property, e.value,
  concat(r._kafka_partition, '/', r._kafka_offset)                       AS _raw_pos,
  CAST(NULL AS BIGINT)                                                   AS _prior_events
FROM (
  SELECT
    coalesce(get_json_object(payload, '$.objectId'), get_json_object(payload, '$.id')) AS object_key,
    coalesce(timestamp_millis(try_cast(get_json_object(payload, '$.occurredAt') AS BIGINT)),
             try_to_timestamp(get_json_object(payload, '$.updatedAt')))  AS version_at,
    coalesce(get_json_object(payload, '$.subscriptionType'), 'object') AS event_type,
    coalesce(try_cast(get_json_object(payload, '$.archived') AS BOOLEAN), false) AS archived,
    _webhook_id, _kafka_partition, _kafka_offset,
    coalesce(
      from_json(get_json_object(payload, '$.properties'), 'MAP<STRING, STRING>'),
      CASE WHEN get_json_object(payload, '$.propertyName') IS NOT NULL
           THEN map(get_json_object(payload, '$.propertyName'), get_json_object(payload, '$.propertyValue'))
      END)                                                              AS props
  FROM raw_batch
) r
LATERAL VIEW OUTER explode(r.props) e AS property, value

-- ====  STORED  ===============================================================
-- {target}: the staging table; {key}: its id column. The events the stored rows of the ids with new
-- raw rows (`raw_new`) keep, with the row's event count.
SELECT t.{key} AS object_key, t.event_count, s.*
FROM {target} t
LATERAL VIEW explode(t._fold_state) x AS s
WHERE t.{key} IN (SELECT coalesce(object_id, get_json_object(payload, '$.id')) FROM raw_new)

-- ====  UNFOLDED  =============================================================
-- The rows of `raw_new` not folded yet. Kafka keys a HubSpot event by its object id, so an id's
-- events arrive in offset order in one partition: a row at or below the last offset an id's state
-- has seen there is in it already (a rerun of a range whose write committed and whose watermark did
-- not, invariant 2), and folding it again would count it twice.
SELECT r.*
FROM raw_new r
LEFT ANTI JOIN (
  SELECT object_key, _kafka_partition, max(_kafka_offset) AS _kafka_offset FROM fold_stored
  GROUP BY object_key, _kafka_partition
) f
  ON f.object_key = coalesce(r.object_id, get_json_object(r.payload, '$.id'))
  AND f._kafka_partition = r._kafka_partition AND r._kafka_offset <= f._kafka_offset

-- ====  STORED_EVENTS  ========================================================
-- `fold_stored` as events, for the ids that have unfolded rows (`fold_ids`). Raw positions are not
-- kept: the stored event_count already counts these events.
SELECT
  object_key, version_at, event_type, archived, _webhook_id, _kafka_partition, _kafka_offset,
  property, value,
  CAST(NULL AS STRING)                                                   AS _raw_pos,
  event_count                                                            AS _prior_events
FROM fold_stored
WHERE object_key IN (SELECT object_key FROM fold_ids)

-- ====  FOLD_EVENTS  ==========================================================
-- {events}: EVENTS, or EVENTS UNION ALL STORED_EVENTS. What the tables' TRANSFORMs read.
SELECT
  e.*,
  named_struct('at', version_at, 'partition', _kafka_partition, 'offset', _kafka_offset) AS version,
  (event_type LIKE '%.deletion' OR event_type LIKE '%.creation' OR event_type LIKE '%.restore'
   OR event_type = 'object')                                             AS is_lifecycle
FROM ({events}) e

-- ====  STATE  ================================================================
-- Input: `fold_events`. The tie-breaks (the Kafka position, then the property) make every pick unique.
WITH fold_ev AS (
  SELECT *, named_struct('version_at', version_at, 'event_type', event_type, 'archived', archived,
                         '_webhook_id', _webhook_id, '_kafka_partition', _kafka_partition,
                         '_kafka_offset', _kafka_offset, 'property', property, 'value', value) AS ev
  FROM fold_events
),
per_object AS (
  SELECT
    object_key,
    max_by(ev, named_struct('v', version, 'p', property))                AS last_ev,
    max_by(ev, named_struct('v', version, 'p', property)) FILTER (WHERE is_lifecycle) AS lifecycle_ev,
    min_by(ev, named_struct('a', version_at, 'v', version, 'p', property))
      FILTER (WHERE version_at IS NOT NULL)                              AS first_seen_ev,
    max_by(ev, named_struct('a', version_at, 'v', version, 'p', property))
      FILTER (WHERE version_at IS NOT NULL)                              AS last_seen_ev
  FROM fold_ev
  GROUP BY object_key
)
SELECT object_key, sort_array(collect_set(ev)) AS _fold_state
FROM (
  SELECT object_key, max_by(ev, named_struct('v', version, 'p', property)) AS ev
  FROM fold_ev WHERE property IS NOT NULL GROUP BY object_key, property
  UNION ALL SELECT object_key, last_ev FROM per_object
  UNION ALL SELECT object_key, lifecycle_ev FROM per_object
  UNION ALL SELECT object_key, first_seen_ev FROM per_object
  UNION ALL SELECT object_key, last_seen_ev FROM per_object
  -- the last arrival per Kafka partition (UNFOLDED)
  UNION ALL SELECT object_key, max_by(ev, _kafka_offset) FROM fold_ev GROUP BY object_key, _kafka_partition
) picks
WHERE ev IS NOT NULL
GROUP BY object_key
