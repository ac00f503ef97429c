-- =============================================================================
-- staging.stg_hubspot_companies
-- One row per HubSpot company, folded from property-level history: the input is either
-- webhook events {eventId, subscriptionType, objectId, propertyName, propertyValue, occurredAt}
-- (one per raw row: the API splits HubSpot's event arrays) or CRM objects {id, properties: {...},
-- updatedAt, archived}. Each property keeps its latest value (occurredAt / updatedAt, then Kafka
-- offset), so a change event for one property never blanks the others. jobs/spark/staging.py
-- re-folds the whole raw history of every object id that has new rows (strategy `fold`), so the
-- result is exact whatever order events arrive in.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_hubspot_companies (
  company_id          STRING         COMMENT 'HubSpot object id (objectId / id)',
  name                STRING         ,
  domain              STRING         ,
  industry            STRING         ,
  city                STRING         ,
  state               STRING         ,
  country             STRING         ,
  number_of_employees INT            COMMENT 'numberofemployees',
  annual_revenue      DECIMAL(18,2)  COMMENT 'annualrevenue',
  lifecycle_stage     STRING         ,
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
  company_id,
  p_name                                                                 AS name,
  lower(p_domain)                                                        AS domain,
  p_industry                                                             AS industry,
  p_city                                                                 AS city,
  p_state                                                                AS state,
  p_country                                                              AS country,
  try_cast(p_numberofemployees AS INT)                                   AS number_of_employees,
  try_cast(p_annualrevenue AS DECIMAL(18,2))                             AS annual_revenue,
  p_lifecyclestage                                                       AS lifecycle_stage,
  coalesce(is_deleted, false)                                            AS is_deleted,
  coalesce(hs_datetime(p_createdate), first_seen_at)                     AS created_at,
  updated_at,
  event_count,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('hubspot.companies/', _kafka_partition, '/', _kafka_offset)        AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT
    company_id,
    max_by(value, version) FILTER (WHERE property = 'annualrevenue')       AS p_annualrevenue,
    max_by(value, version) FILTER (WHERE property = 'city')                AS p_city,
    max_by(value, version) FILTER (WHERE property = 'country')             AS p_country,
    max_by(value, version) FILTER (WHERE property = 'domain')              AS p_domain,
    max_by(value, version) FILTER (WHERE property = 'industry')            AS p_industry,
    max_by(value, version) FILTER (WHERE property = 'lifecyclestage')      AS p_lifecyclestage,
    max_by(value, version) FILTER (WHERE property = 'name')                AS p_name,
    max_by(value, version) FILTER (WHERE property = 'numberofemployees')   AS p_numberofemployees,
    max_by(value, version) FILTER (WHERE property = 'state')               AS p_state,
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
        coalesce(p.objectId, p.id)                                       AS company_id,
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
  GROUP BY company_id
)

-- ====  IGNORED  ==============================================================
-- HubSpot internal properties (hs_*) are never reported as new; other unknown properties are.
createdate lastmodifieddate hs_object_id hs_lastmodifieddate
