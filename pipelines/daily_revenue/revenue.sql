-- daily_revenue: revenue and order counts of one day, per currency, from that day's published orders
-- partition (the view `orders`). Cancelled orders do not count. One row per currency; no row is
-- rejected (the orders were validated upstream), so the SELECT has no reject_reason.
SELECT
  currency,
  count(*)::BIGINT AS orders,
  sum(amount)::DECIMAL(14,2) AS revenue
FROM orders
WHERE status <> 'cancelled'
GROUP BY currency
