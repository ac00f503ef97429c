-- =============================================================================
-- analytics.payment_metrics: daily payments by method with refund and dispute rates.
-- Amounts are summed across currencies in major units (single-currency shops; split by currency
-- before relying on them otherwise). Rates are counts over succeeded charges.
-- =============================================================================

-- ====  DDL  ==================================================================
CREATE TABLE IF NOT EXISTS analytics.payment_metrics (
  payment_date          DATE,
  payment_method        STRING,
  charge_count          BIGINT,
  succeeded_count       BIGINT,
  succeeded_amount      DECIMAL(18,3),
  refunded_count        BIGINT,
  refunded_amount       DECIMAL(18,3),
  disputed_count        BIGINT,
  dispute_lost_count    BIGINT,
  refund_rate           DECIMAL(9,6)   COMMENT 'refunded_count / succeeded_count',
  dispute_rate          DECIMAL(9,6)   COMMENT 'disputed_count / succeeded_count',
  _built_at             TIMESTAMP
)
USING iceberg
TBLPROPERTIES ('format-version' = '2', 'write.parquet.compression-codec' = 'zstd',
  'write.merge.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read');

-- ====  TRANSFORM  ============================================================
SELECT
  payment_date, payment_method, charge_count, succeeded_count, succeeded_amount, refunded_count, refunded_amount,
  disputed_count, dispute_lost_count,
  CAST(CASE WHEN succeeded_count > 0 THEN refunded_count / succeeded_count END AS DECIMAL(9,6)) AS refund_rate,
  CAST(CASE WHEN succeeded_count > 0 THEN disputed_count / succeeded_count END AS DECIMAL(9,6)) AS dispute_rate,
  current_timestamp() AS _built_at
FROM (
  SELECT payment_date, payment_method,
    count(*) AS charge_count,
    count(*) FILTER (WHERE is_succeeded) AS succeeded_count,
    CAST(coalesce(sum(amount) FILTER (WHERE is_succeeded), 0) AS DECIMAL(18,3)) AS succeeded_amount,
    count(*) FILTER (WHERE is_refunded) AS refunded_count,
    CAST(coalesce(sum(amount_refunded), 0) AS DECIMAL(18,3)) AS refunded_amount,
    count(*) FILTER (WHERE is_disputed) AS disputed_count,
    count(*) FILTER (WHERE is_dispute_lost) AS dispute_lost_count
  FROM core_payments WHERE payment_date IS NOT NULL
  GROUP BY payment_date, payment_method
)

-- ====  CHANGED_KEYS  =========================================================
SELECT payment_date, payment_method FROM delta_core_payments
