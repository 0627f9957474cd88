-- clickstream: validate one hour's events (the view `raw`, every field as text, one row per JSON line).
-- Yields every published column, source_file, record_no and reject_reason (NULL when the event is valid).
-- $partition_start and $partition_end (exclusive) are the hour's window in UTC.
SELECT
  source_file, record_no, event_id, customer_id, event_at, page, event_type,
  CASE
    WHEN event_id IS NULL THEN 'event_id is empty'
    WHEN customer_id IS NULL THEN 'customer_id is empty'
    WHEN event_at IS NULL THEN 'event_at ' || coalesce('''' || landed_event_at || '''', 'NULL') || ' is not a timestamp'
    WHEN event_at < $partition_start::TIMESTAMP OR event_at >= $partition_end::TIMESTAMP
      THEN 'event_at ' || landed_event_at || ' is outside partition ' || $partition
    WHEN event_type IS NULL OR event_type NOT IN ({{EVENT_TYPES}})
      THEN 'event_type ' || coalesce('''' || event_type || '''', 'NULL') || ' is not one of {{EVENT_TYPES_TEXT}}'
  END AS reject_reason
FROM (
  SELECT
    source_file, record_no,
    nullif(trim(event_id), '') AS event_id,
    nullif(trim(customer_id), '') AS customer_id,
    event_at AS landed_event_at, try_cast(event_at AS TIMESTAMP) AS event_at,
    coalesce(page, '/') AS page,
    lower(trim(event_type)) AS event_type
  FROM raw
)
