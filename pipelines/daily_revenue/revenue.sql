-- daily_revenue: revenue and order counts of one day, per currency, from that day's published orders
-- partition (the view `orders`, with source_file and record_no). Cancelled orders do not count.
-- One row per currency; reject_reason is always NULL (the orders were validated upstream).
SELECT
  min(source_file) AS source_file,
  min(record_no) AS record_no,
  currency,
  count(*)::BIGINT AS orders,
  sum(amount)::DECIMAL(14,2) AS revenue,
  NULL::VARCHAR AS reject_reason
FROM orders
WHERE status <> 'cancelled'
GROUP BY currency
