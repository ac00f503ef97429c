-- =============================================================================
-- refund_dispute_rates: refund and dispute rates by month and payment method,
-- by count and by amount. Reads analytics.payment_metrics (one row per day and
-- payment method), whose contract this query assumes:
--   metric_date DATE, payment_method STRING, charges BIGINT,
--   charge_amount DECIMAL(18,2), refunds BIGINT, refund_amount DECIMAL(18,2),
--   disputes BIGINT, dispute_amount DECIMAL(18,2)
-- Dialect: shared by Trino 476 and Athena engine v3.
-- =============================================================================
SELECT
  date_trunc('month', metric_date)                                  AS month,
  payment_method,
  sum(charges)                                                      AS charges,
  CAST(sum(charge_amount) AS DECIMAL(18, 2))                        AS charge_amount,
  round(100.0 * sum(refunds) / nullif(sum(charges), 0), 2)          AS refund_rate_pct,
  round(100.0 * sum(refund_amount) / nullif(sum(charge_amount), 0), 2)
                                                                    AS refund_amount_pct,
  round(100.0 * sum(disputes) / nullif(sum(charges), 0), 3)         AS dispute_rate_pct,
  round(100.0 * sum(dispute_amount) / nullif(sum(charge_amount), 0), 3)
                                                                    AS dispute_amount_pct
FROM analytics.payment_metrics
GROUP BY 1, 2
ORDER BY month DESC, charges DESC
