-- orders: validate one partition's raw rows (the table `raw`, all text, one row per landed CSV record).
-- Yields every published column, source_file, record_no and reject_reason (NULL when the row is valid).
-- Each text column is cast once (inner query); the reasons quote the value as landed. Values that are
-- already clean skip trim/upper/lower: building a new string per row was the costliest part of
-- validation (npm run bench). $partition is the partition key, $partition_start and $partition_end
-- (exclusive) its window in UTC; the names in double braces are filled by definition.ts.
SELECT
  source_file, record_no, order_id, customer_id, ordered_at, amount, currency, status,
  CASE
    WHEN order_id IS NULL THEN 'order_id is empty'
    WHEN customer_id IS NULL THEN 'customer_id is empty'
    WHEN ordered_at IS NULL THEN 'ordered_at ' || coalesce('''' || landed_ordered_at || '''', 'NULL') || ' is not a timestamp'
    WHEN ordered_at < $partition_start::TIMESTAMP OR ordered_at >= $partition_end::TIMESTAMP
      THEN 'ordered_at ' || landed_ordered_at || ' is outside partition ' || $partition
    WHEN amount IS NULL THEN 'amount ' || coalesce('''' || landed_amount || '''', 'NULL') || ' is not a decimal number'
    WHEN amount < 0 THEN 'amount ' || landed_amount || ' is negative'
    WHEN currency IS NULL OR currency NOT IN ({{ORDER_CURRENCIES}})
      THEN 'currency ' || coalesce('''' || landed_currency || '''', 'NULL') || ' is not one of {{ORDER_CURRENCIES_TEXT}}'
    WHEN status IS NULL OR status NOT IN ({{ORDER_STATUSES}})
      THEN 'status ' || coalesce('''' || landed_status || '''', 'NULL') || ' is not one of {{ORDER_STATUSES_TEXT}}'
  END AS reject_reason
FROM (
  SELECT
    source_file, record_no,
    CASE WHEN contains(order_id, ' ') THEN nullif(trim(order_id), '') ELSE nullif(order_id, '') END AS order_id,
    CASE WHEN contains(customer_id, ' ') THEN nullif(trim(customer_id), '') ELSE nullif(customer_id, '') END AS customer_id,
    ordered_at AS landed_ordered_at, try_cast(ordered_at AS TIMESTAMP) AS ordered_at,
    amount AS landed_amount, try_cast(amount AS DECIMAL(12,2)) AS amount,
    currency AS landed_currency,
    CASE WHEN currency IN ({{ORDER_CURRENCIES}}) THEN currency ELSE upper(trim(currency)) END AS currency,
    status AS landed_status,
    CASE WHEN status IN ({{ORDER_STATUSES}}) THEN status ELSE lower(trim(status)) END AS status
  FROM raw)
