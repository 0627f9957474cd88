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
    // Each text column is cast once (inner query); the reasons quote the value as landed. Values that
    // are already clean skip trim/upper/lower: building a new string per row was the costliest part
    // of validation (npm run bench).
    validateSql: `
      SELECT
        source_file, record_no, order_id, customer_id, ordered_at, amount, currency, status,
        CASE
          WHEN order_id IS NULL THEN 'order_id is empty'
          WHEN customer_id IS NULL THEN 'customer_id is empty'
          WHEN ordered_at IS NULL THEN 'ordered_at ' || coalesce('''' || landed_ordered_at || '''', 'NULL') || ' is not a timestamp'
          WHEN ordered_at < $partition::TIMESTAMP OR ordered_at >= $partition::TIMESTAMP + INTERVAL 1 DAY
            THEN 'ordered_at ' || landed_ordered_at || ' is outside partition ' || $partition
          WHEN amount IS NULL THEN 'amount ' || coalesce('''' || landed_amount || '''', 'NULL') || ' is not a decimal number'
          WHEN amount < 0 THEN 'amount ' || landed_amount || ' is negative'
          WHEN currency IS NULL OR currency NOT IN (${inList(ORDER_CURRENCIES)})
            THEN 'currency ' || coalesce('''' || landed_currency || '''', 'NULL') || ' is not one of ${ORDER_CURRENCIES.join(', ')}'
          WHEN status IS NULL OR status NOT IN (${inList(ORDER_STATUSES)})
            THEN 'status ' || coalesce('''' || landed_status || '''', 'NULL') || ' is not one of ${ORDER_STATUSES.join(', ')}'
        END AS reject_reason
      FROM (
        SELECT
          source_file, record_no,
          CASE WHEN contains(order_id, ' ') THEN nullif(trim(order_id), '') ELSE nullif(order_id, '') END AS order_id,
          CASE WHEN contains(customer_id, ' ') THEN nullif(trim(customer_id), '') ELSE nullif(customer_id, '') END AS customer_id,
          ordered_at AS landed_ordered_at, try_cast(ordered_at AS TIMESTAMP) AS ordered_at,
          amount AS landed_amount, try_cast(amount AS DECIMAL(12,2)) AS amount,
          currency AS landed_currency,
          CASE WHEN currency IN (${inList(ORDER_CURRENCIES)}) THEN currency ELSE upper(trim(currency)) END AS currency,
          status AS landed_status,
          CASE WHEN status IN (${inList(ORDER_STATUSES)}) THEN status ELSE lower(trim(status)) END AS status
        FROM raw)`,
  },
  steps: { timeoutSeconds: 600, maxAttempts: 5 },
});
