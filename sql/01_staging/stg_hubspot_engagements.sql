-- =============================================================================
-- staging.stg_hubspot_engagements
-- One row per HubSpot engagement, folded from property-level history: the input is either
-- webhook events {eventId, subscriptionType, objectId, propertyName, propertyValue, occurredAt}
-- (one per raw row: the API splits HubSpot's event arrays) or CRM objects {id, properties: {...},
-- updatedAt, archived}. Each property keeps its latest value (occurredAt / updatedAt, then Kafka
-- offset), so a change event for one property never blanks the others. jobs/spark/staging.py
-- re-folds the whole raw history of every object id that has new rows (strategy `fold`), so the
-- result is exact whatever order events arrive in.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_hubspot_engagements (
  engagement_id       STRING         COMMENT 'HubSpot object id (objectId / id)',
  engagement_type     STRING         COMMENT 'EMAIL, CALL, MEETING, NOTE, TASK',
  engagement_at       TIMESTAMP      COMMENT 'hs_timestamp',
  owner_id            STRING         ,
  subject             STRING         ,
  body_preview        STRING         ,
  contact_id          STRING         COMMENT 'associated contact (property contact_id when sent)',
  deal_id             STRING         ,
  is_deleted          BOOLEAN        COMMENT 'the latest lifecycle event is a deletion (or archived)',
  created_at          TIMESTAMP      COMMENT 'createdate property, else the first event seen',
  updated_at          TIMESTAMP      COMMENT 'latest event or object version seen',
  event_count         BIGINT         COMMENT 'raw rows folded into this row',
  _webhook_id         STRING         COMMENT 'delivery id of the latest raw row',
  _kafka_partition    INT,
  _kafka_offset       BIGINT,
  _raw_id             STRING,
  _staged_at          TIMESTAMP
)
USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read',
  'write.update.mode' = 'merge-on-read',
  'write.delete.mode' = 'merge-on-read'
);

-- ====  TRANSFORM  ============================================================
-- Input: `raw_batch` = every raw row of the object ids being refreshed. Output: one row per id.
SELECT
  engagement_id,
  upper(coalesce(p_hs_engagement_type, p_type))                          AS engagement_type,
  hs_datetime(p_hs_timestamp)                                            AS engagement_at,
  p_hubspot_owner_id                                                     AS owner_id,
  coalesce(p_hs_email_subject, p_hs_meeting_title, p_hs_call_title)      AS subject,
  p_hs_body_preview                                                      AS body_preview,
  p_contact_id                                                           AS contact_id,
  p_deal_id                                                              AS deal_id,
  coalesce(is_deleted, false)                                            AS is_deleted,
  coalesce(hs_datetime(p_createdate), first_seen_at)                     AS created_at,
  updated_at,
  event_count,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('hubspot.engagements/', _kafka_partition, '/', _kafka_offset)        AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT
    engagement_id,
    max_by(value, version) FILTER (WHERE property = 'contact_id')          AS p_contact_id,
    max_by(value, version) FILTER (WHERE property = 'deal_id')             AS p_deal_id,
    max_by(value, version) FILTER (WHERE property = 'hs_body_preview')     AS p_hs_body_preview,
    max_by(value, version) FILTER (WHERE property = 'hs_call_title')       AS p_hs_call_title,
    max_by(value, version) FILTER (WHERE property = 'hs_email_subject')    AS p_hs_email_subject,
    max_by(value, version) FILTER (WHERE property = 'hs_engagement_type')  AS p_hs_engagement_type,
    max_by(value, version) FILTER (WHERE property = 'hs_meeting_title')    AS p_hs_meeting_title,
    max_by(value, version) FILTER (WHERE property = 'hs_timestamp')        AS p_hs_timestamp,
    max_by(value, version) FILTER (WHERE property = 'hubspot_owner_id')    AS p_hubspot_owner_id,
    max_by(value, version) FILTER (WHERE property = 'type')                AS p_type,
    max_by(value, version) FILTER (WHERE property = 'createdate')          AS p_createdate,
    max_by(event_type LIKE '%.deletion' OR archived, version)
      FILTER (WHERE event_type LIKE '%.deletion' OR event_type LIKE '%.creation'
                    OR event_type LIKE '%.restore' OR event_type = 'object') AS is_deleted,
    min(version_at)                                                      AS first_seen_at,
    max(version_at)                                                      AS updated_at,
    count(DISTINCT _raw_pos)                                             AS event_count,
    max_by(_webhook_id, version)                                         AS _webhook_id,
    max_by(_kafka_partition, version)                                    AS _kafka_partition,
    max_by(_kafka_offset, version)                                       AS _kafka_offset
  FROM (
    SELECT
      r.*, e.property, e.value,
      named_struct('at', version_at, 'partition', _kafka_partition, 'offset', _kafka_offset) AS version,
      concat(_kafka_partition, '/', _kafka_offset)                       AS _raw_pos
    FROM (
      SELECT
        coalesce(p.objectId, p.id)                                       AS engagement_id,
        coalesce(timestamp_millis(try_cast(p.occurredAt AS BIGINT)),
                 try_to_timestamp(p.updatedAt))                          AS version_at,
        coalesce(p.subscriptionType, 'object')                           AS event_type,
        coalesce(try_cast(p.archived AS BOOLEAN), false)                 AS archived,
        _webhook_id, _kafka_partition, _kafka_offset,
        coalesce(
          p.properties,
          CASE WHEN p.propertyName IS NOT NULL
               THEN map(p.propertyName, p.propertyValue)
          END)                                                            AS props
      FROM (
        -- the payload parsed once, into `p`: a get_json_object per field would parse it again for each
        SELECT *, hs_payload(payload) AS p
        FROM raw_batch
      )
    ) r
    LATERAL VIEW OUTER explode(props) e AS property, value
  )
  GROUP BY engagement_id
)

-- ====  IGNORED  ==============================================================
-- HubSpot internal properties (hs_*) are never reported as new; other unknown properties are.
createdate lastmodifieddate hs_object_id hs_lastmodifieddate
