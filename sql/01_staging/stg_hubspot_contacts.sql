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
  _staged_at          TIMESTAMP,
  _fold_state         ARRAY<STRUCT<version_at: TIMESTAMP, event_type: STRING, archived: BOOLEAN,
                        _webhook_id: STRING, _kafka_partition: INT, _kafka_offset: BIGINT,
                        property: STRING, value: STRING>>
                          COMMENT 'the events this row folds that a newer event can still lose to (sql/01_staging/hubspot_fold.sql)'
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
-- Input: `fold_events` (sql/01_staging/hubspot_fold.sql): the events of the object ids being
-- refreshed, one row per (event, property). Output: one row per id.
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
    object_key AS contact_id,
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
      FILTER (WHERE is_lifecycle)                                        AS is_deleted,
    min(version_at)                                                      AS first_seen_at,
    max(version_at)                                                      AS updated_at,
    coalesce(max(_prior_events), 0) + count(DISTINCT _raw_pos)           AS event_count,
    max_by(_webhook_id, version)                                         AS _webhook_id,
    max_by(_kafka_partition, version)                                    AS _kafka_partition,
    max_by(_kafka_offset, version)                                       AS _kafka_offset
  FROM fold_events
  GROUP BY object_key
)

-- ====  IGNORED  ==============================================================
-- HubSpot internal properties (hs_*) are never reported as new; other unknown properties are.
createdate lastmodifieddate hs_object_id hs_lastmodifieddate
