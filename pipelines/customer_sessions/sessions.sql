-- customer_sessions: one row per customer active on the site that day, from the views `clickstream`
-- (the day's 24 hourly partitions) and `orders` (the same day). Cancelled orders do not count. No row
-- is rejected (both inputs were validated upstream), so the SELECT has no reject_reason.
SELECT
  c.customer_id, c.events, c.pages,
  coalesce(o.orders, 0)::BIGINT AS orders,
  coalesce(o.revenue, 0)::DECIMAL(14,2) AS revenue
FROM (
  SELECT customer_id, count(*)::BIGINT AS events, count(DISTINCT page)::BIGINT AS pages
  FROM clickstream GROUP BY customer_id
) c
LEFT JOIN (
  SELECT customer_id, count(*) AS orders, sum(amount) AS revenue
  FROM orders WHERE status <> 'cancelled' GROUP BY customer_id
) o USING (customer_id)
