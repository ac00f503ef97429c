-- =============================================================================
-- staging.stg_stripe_subscriptions
-- One row per Stripe subscription (items summarised).
-- Input: Stripe event envelopes {id, type, created, data: {object: {...}}}. Amounts arrive as
-- integer minor units and are divided by the currency's exponent (0 for JPY/KRW/..., 3 for
-- BHD/KWD/..., 2 otherwise), so money is DECIMAL(18,3). Latest event per object wins (event
-- created, then Kafka offset). MERGEd by jobs/spark/staging.py.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS staging.stg_stripe_subscriptions (
  subscription_id     STRING         COMMENT 'sub_...',
  customer_id         STRING,
  status              STRING         COMMENT 'trialing, active, past_due, canceled, unpaid, ...',
  currency            STRING,
  item_count          INT,
  price_id            STRING         COMMENT 'price of the first item',
  product_id          STRING,
  billing_interval    STRING         COMMENT 'day, week, month, year',
  interval_count      INT,
  quantity            BIGINT         COMMENT 'sum of item quantities',
  unit_amount         DECIMAL(18,3)  COMMENT 'first item price per unit',
  mrr_amount          DECIMAL(18,3)  COMMENT 'sum over items of unit_amount * quantity normalised to 30 days',
  cancel_at_period_end BOOLEAN,
  current_period_start TIMESTAMP,
  current_period_end  TIMESTAMP,
  start_date          TIMESTAMP,
  canceled_at         TIMESTAMP,
  ended_at            TIMESTAMP,
  trial_end           TIMESTAMP,
  is_active           BOOLEAN        COMMENT 'status in (active, trialing, past_due)',
  is_canceled         BOOLEAN        COMMENT 'status = canceled',
  is_deleted          BOOLEAN        COMMENT 'the latest event deleted the object',
  last_event_type     STRING         COMMENT 'Stripe event type of the winning version',
  last_event_id       STRING         COMMENT 'Stripe event id (evt_...) of the winning version',
  livemode            BOOLEAN,
  created_at          TIMESTAMP      COMMENT 'object created (epoch seconds in the payload)',
  updated_at          TIMESTAMP      COMMENT 'event created: the version order, then Kafka offset',
  _webhook_id         STRING,
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
SELECT
  o.id                                                                   AS subscription_id,
  o.customer                                                             AS customer_id,
  o.status                                                               AS status,
  upper(o.currency)                                                      AS currency,
  CAST(size(items) AS INT)                                               AS item_count,
  get(items, 0).price.id                                                 AS price_id,
  get(items, 0).price.product                                            AS product_id,
  get(items, 0).price.recurring.`interval`                               AS billing_interval,
  get(items, 0).price.recurring.interval_count                           AS interval_count,
  aggregate(items, CAST(0 AS BIGINT), (acc, i) -> acc + coalesce(i.quantity, 1)) AS quantity,
  CAST(CAST(get(items, 0).price.unit_amount AS DECIMAL(20,0)) / _minor AS DECIMAL(18,3)) AS unit_amount,
  CAST(aggregate(items, CAST(0 AS DECIMAL(38,6)), (acc, i) -> acc +
    CAST(coalesce(i.price.unit_amount, 0) * coalesce(i.quantity, 1) AS DECIMAL(38,6)) / _minor
      * CASE i.price.recurring.`interval` WHEN 'day' THEN 30 WHEN 'week' THEN 30 / 7.0 WHEN 'month' THEN 1
                                        WHEN 'year' THEN 1 / 12.0 ELSE 1 END
      / coalesce(i.price.recurring.interval_count, 1)) AS DECIMAL(18,3)) AS mrr_amount,
  coalesce(try_cast(o.cancel_at_period_end AS BOOLEAN), false)           AS cancel_at_period_end,
  timestamp_seconds(coalesce(try_cast(o.current_period_start AS BIGINT),
                             get(items, 0).current_period_start))        AS current_period_start,
  timestamp_seconds(coalesce(try_cast(o.current_period_end AS BIGINT),
                             get(items, 0).current_period_end))          AS current_period_end,
  timestamp_seconds(try_cast(o.start_date AS BIGINT))                    AS start_date,
  timestamp_seconds(try_cast(o.canceled_at AS BIGINT))                   AS canceled_at,
  timestamp_seconds(try_cast(o.ended_at AS BIGINT))                      AS ended_at,
  timestamp_seconds(try_cast(o.trial_end AS BIGINT))                     AS trial_end,
  coalesce(o.status IN ('active', 'trialing', 'past_due'), false)        AS is_active,
  coalesce(o.status = 'canceled', false)                                 AS is_canceled,
  coalesce(try_cast(o.deleted AS BOOLEAN), false)
    OR event_type IN ('customer.subscription.deleted')                                              AS is_deleted,
  event_type                                                             AS last_event_type,
  p.id                                                                   AS last_event_id,
  try_cast(o.livemode AS BOOLEAN)                                        AS livemode,
  timestamp_seconds(try_cast(o.created AS BIGINT))                       AS created_at,
  timestamp_seconds(try_cast(p.created AS BIGINT))                       AS updated_at,
  _webhook_id,
  _kafka_partition,
  _kafka_offset,
  concat('stripe.subscriptions/', _kafka_partition, '/', _kafka_offset)         AS _raw_id,
  current_timestamp()                                                    AS _staged_at
FROM (
  SELECT *,
    p.data.object                                                        AS o,
    coalesce(p.type, _webhook_topic)                                     AS event_type,
    CASE
      WHEN upper(p.data.object.currency) IN
        ('BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 1
      WHEN upper(p.data.object.currency) IN ('BHD', 'JOD', 'KWD', 'OMR', 'TND') THEN 1000
      ELSE 100
    END                                                                  AS _minor,
    coalesce(p.data.object.items.data,
      array())                                                           AS items
  FROM (
    -- the payload parsed once, into `p`: a get_json_object per field would parse it again for each
    SELECT *, from_json(payload, '
      data STRUCT<
        object: STRUCT<
          items: STRUCT<data: ARRAY<STRUCT<
            id: STRING, quantity: BIGINT, current_period_start: BIGINT, current_period_end: BIGINT,
            price: STRUCT<id: STRING, product: STRING, unit_amount: BIGINT,
                          recurring: STRUCT<`interval`: STRING, interval_count: INT>>>>>,
          id: STRING, customer: STRING, status: STRING, currency: STRING, cancel_at_period_end: STRING,
          current_period_start: STRING, current_period_end: STRING, start_date: STRING,
          canceled_at: STRING, ended_at: STRING, trial_end: STRING, deleted: STRING, livemode: STRING,
          created: STRING>>,
      id STRING, created STRING, type STRING') AS p
    FROM raw_batch
  )
)

-- ====  IGNORED  ==============================================================
object application application_fee_percent automatic_tax billing_cycle_anchor billing_cycle_anchor_config billing_mode billing_schedules billing_thresholds cancel_at cancellation_details collection_method customer_account days_until_due default_payment_method default_source default_tax_rates description discounts invoice_settings latest_invoice managed_payments metadata next_pending_invoice_item_invoice on_behalf_of pause_collection payment_settings pending_invoice_item_interval pending_setup_intent pending_update schedule test_clock transfer_data trial_settings trial_start items
