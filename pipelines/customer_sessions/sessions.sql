-- customer_sessions: one row per customer active on the site that day, from the views `clickstream`
-- (the day's 24 hourly partitions) and `orders` (the same day). Cancelled orders do not count.
-- reject_reason is always NULL: both inputs were validated upstream.
SELECT
  c.source_file, c.record_no, c.customer_id, c.events, c.pages,
  coalesce(o.orders, 0)::BIGINT AS orders,
  coalesce(o.revenue, 0)::DECIMAL(14,2) AS revenue,
  NULL::VARCHAR AS reject_reason
FROM (
  SELECT customer_id, min(source_file) AS source_file, min(record_no) AS record_no,
         count(*)::BIGINT AS events, count(DISTINCT page)::BIGINT AS pages
  FROM clickstream GROUP BY customer_id
) c
LEFT JOIN (
  SELECT customer_id, count(*) AS orders, sum(amount) AS revenue
  FROM orders WHERE status <> 'cancelled' GROUP BY customer_id
) o USING (customer_id)
