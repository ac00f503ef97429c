-- =============================================================================
-- staging.stg_hubspot_contacts
-- One row per HubSpot contact, folded from property-level history: the input is either
-- webhook events {eventId, subscriptionType, objectId, propertyName, propertyValue, occurredAt}
-- (one per raw row: the API splits HubSpot's event arrays) or CRM objects {id, properties: {...},
-- updatedAt, archived}. Each property keeps its latest value (occurredAt / updatedAt, then Kafka
-- offset), so a change event for one property never blanks the others. jobs/spark/staging.py
-- re-folds the whole raw history of every object id that has new rows (strategy `fold`), so the
-- result is exact whatever order events arrive in.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_hubspot_contacts (
  contact_id          STRING         COMMENT 'HubSpot object id (objectId / id)',
  email               STRING         ,
  first_name          STRING         COMMENT 'firstname',
  last_name           STRING         COMMENT 'lastname',
  phone               STRING         COMMENT 'phone, else mobilephone',
  company             STRING         ,
  job_title           STRING         COMMENT 'jobtitle',
  lifecycle_stage     STRING         COMMENT 'subscriber, lead, ..., customer',
  lead_status         STRING         ,
  address             STRING         COMMENT 'street address',
  city                STRING         ,
  state               STRING         ,
  country             STRING         ,
  zip                 STRING         ,
  is_customer         BOOLEAN        COMMENT 'lifecyclestage = customer',
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
  contact_id,
  p_email                                                                AS email,
  p_firstname                                                            AS first_name,
  p_lastname                                                             AS last_name,
  coalesce(p_phone, p_mobilephone)                                       AS phone,
  p_company                                                              AS company,
  p_jobtitle                                                             AS job_title,
  p_lifecyclestage                                                       AS lifecycle_stage,
  p_hs_lead_status                                                       AS lead_status,
  p_address                                                              AS address,
  p_city                                                                 AS city,
  p_state                                                                AS state,
  p_country                                                              AS country,
  p_zip                                                                  AS zip,
  coalesce(p_lifecyclestage = 'customer', false)                         AS is_customer,
  coalesce(is_deleted, false)                                            AS is_deleted,
  coalesce(hs_datetime(p_createdate), first_seen_at)                     AS created_at,
  updated_at,
  event_count,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('hubspot.contacts/', _kafka_partition, '/', _kafka_offset)        AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT
    contact_id,
    max_by(value, version) FILTER (WHERE property = 'address')             AS p_address,
    max_by(value, version) FILTER (WHERE property = 'city')                AS p_city,
    max_by(value, version) FILTER (WHERE property = 'company')             AS p_company,
    max_by(value, version) FILTER (WHERE property = 'country')             AS p_country,
    max_by(value, version) FILTER (WHERE property = 'email')               AS p_email,
    max_by(value, version) FILTER (WHERE property = 'firstname')           AS p_firstname,
    max_by(value, version) FILTER (WHERE property = 'hs_lead_status')      AS p_hs_lead_status,
    max_by(value, version) FILTER (WHERE property = 'jobtitle')            AS p_jobtitle,
    max_by(value, version) FILTER (WHERE property = 'lastname')            AS p_lastname,
    max_by(value, version) FILTER (WHERE property = 'lifecyclestage')      AS p_lifecyclestage,
    max_by(value, version) FILTER (WHERE property = 'mobilephone')         AS p_mobilephone,
    max_by(value, version) FILTER (WHERE property = 'phone')               AS p_phone,
    max_by(value, version) FILTER (WHERE property = 'state')               AS p_state,
    max_by(value, version) FILTER (WHERE property = 'zip')                 AS p_zip,
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
        coalesce(p.objectId, p.id)                                       AS contact_id,
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
  GROUP BY contact_id
)

-- ====  IGNORED  ==============================================================
-- HubSpot internal properties (hs_*) are never reported as new; other unknown properties are.
createdate lastmodifieddate hs_object_id hs_lastmodifieddate
