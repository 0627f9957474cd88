/**
 * `orders`: the sample pipeline. One CSV drop per day from the shop's order system lands in
 * `landing/orders/date=YYYY-MM-DD/part-*.csv`, followed by a `_SUCCESS` marker.
 */
import { definePipeline } from './definition';

export const ORDER_CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'cancelled'] as const;

const inList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export const ordersPipeline = definePipeline({
  name: 'orders',
  description: 'Daily orders from the web shop, validated, de-duplicated and published to showroom.orders.',
  owner: 'data-platform@conveyor.example',
  cadence: 'daily',
  firstPartition: '2015-01-01',
  availabilityLagDays: 1,
  freshnessObjectiveHours: 30,
  upstream: [],
  readiness: { marker: '_SUCCESS', pollIntervalSeconds: 60, timeoutSeconds: 6 * 3600 },
  landing: {
    filePattern: /^part-\d+\.csv$/,
    columns: ['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status'],
  },
  quality: { maxRejectedRatio: 0.01 },
  table: {
    columns: [
      { name: 'order_id', type: 'VARCHAR' },
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'ordered_at', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
      { name: 'currency', type: 'VARCHAR' },
      { name: 'status', type: 'VARCHAR' },
    ],
    uniqueKey: ['order_id'],
    validateSql: `
      SELECT
        source_file,
        record_no,
        nullif(trim(order_id), '') AS order_id,
        nullif(trim(customer_id), '') AS customer_id,
        try_cast(ordered_at AS TIMESTAMP) AS ordered_at,
        try_cast(amount AS DECIMAL(12,2)) AS amount,
        upper(trim(currency)) AS currency,
        lower(trim(status)) AS status,
        CASE
          WHEN nullif(trim(order_id), '') IS NULL THEN 'order_id is empty'
          WHEN nullif(trim(customer_id), '') IS NULL THEN 'customer_id is empty'
          WHEN try_cast(ordered_at AS TIMESTAMP) IS NULL
            THEN 'ordered_at ' || coalesce('''' || ordered_at || '''', 'NULL') || ' is not a timestamp'
          WHEN strftime(try_cast(ordered_at AS TIMESTAMP), '%Y-%m-%d') <> $partition
            THEN 'ordered_at ' || ordered_at || ' is outside partition ' || $partition
          WHEN try_cast(amount AS DECIMAL(12,2)) IS NULL
            THEN 'amount ' || coalesce('''' || amount || '''', 'NULL') || ' is not a decimal number'
          WHEN try_cast(amount AS DECIMAL(12,2)) < 0 THEN 'amount ' || amount || ' is negative'
          WHEN upper(trim(currency)) NOT IN (${inList(ORDER_CURRENCIES)})
            THEN 'currency ' || coalesce('''' || currency || '''', 'NULL') || ' is not one of ${ORDER_CURRENCIES.join(', ')}'
          WHEN lower(trim(status)) NOT IN (${inList(ORDER_STATUSES)})
            THEN 'status ' || coalesce('''' || status || '''', 'NULL') || ' is not one of ${ORDER_STATUSES.join(', ')}'
        END AS reject_reason
      FROM raw`,
  },
  steps: { timeoutSeconds: 600, maxAttempts: 5 },
});
