-- =============================================================================
-- refund_dispute_rates: refund and dispute rates by month and payment method,
-- by count and by amount, over succeeded Stripe charges.
-- Reads analytics.payment_metrics (sql/04_analytics/payment_metrics.sql: one
-- row per payment_date and payment_method).
-- Dialect: shared by Trino 476 and Athena engine v3. Rates in DOUBLE: Trino's DECIMAL
-- division keeps the literal's scale (2.76 would come out as 2.8).
-- =============================================================================
SELECT
  CAST(date_trunc('month', payment_date) AS DATE)                   AS month,
  coalesce(payment_method, 'unknown')                               AS payment_method,
  sum(succeeded_count)                                              AS charges,
  CAST(sum(succeeded_amount) AS DECIMAL(18, 2))                     AS charge_amount,
  sum(refunded_count)                                               AS refunds,
  round(100 * CAST(sum(refunded_count) AS DOUBLE) / nullif(sum(succeeded_count), 0), 2)
                                                                    AS refund_rate_pct,
  round(100.0 * CAST(sum(refunded_amount) AS DOUBLE) / nullif(CAST(sum(succeeded_amount) AS DOUBLE), 0), 2)
                                                                    AS refund_amount_pct,
  sum(disputed_count)                                               AS disputes,
  round(100 * CAST(sum(disputed_count) AS DOUBLE) / nullif(sum(succeeded_count), 0), 3)
                                                                    AS dispute_rate_pct,
  sum(dispute_lost_count)                                           AS disputes_lost
FROM analytics.payment_metrics
GROUP BY 1, 2
ORDER BY month DESC, charges DESC, payment_method
