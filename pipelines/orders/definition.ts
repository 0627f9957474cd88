/**
 * `orders`: the sample pipeline. One CSV drop per day from the shop's order system lands in
 * `landing/orders/date=YYYY-MM-DD/part-*.csv`, followed by a `_SUCCESS` marker.
 */
import path from 'node:path';
import { definePipeline, loadSql, sqlList } from 'conveyor/pipeline';

export const ORDER_CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'cancelled'] as const;

export const ordersPipeline = definePipeline({
  name: 'orders',
  description: 'Daily orders from the web shop, validated, de-duplicated and published to showroom.orders.',
  owner: 'data-platform@conveyor.example',
  // A day's partition can exist from the next day (UTC). Its schedule runs at 02:00 UTC (the daily default).
  partitions: { kind: 'daily', first: '2015-01-01', lag: 1 },
  source: {
    kind: 'files',
    format: 'csv',
    filePattern: /^part-\d+\.csv$/,
    columns: ['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status'],
    marker: '_SUCCESS',
  },
  // The order system's export is done by early morning: a day not landed within 6 hours (the daily
  // default is 8) fails as a dependency and alerts.
  readiness: { timeoutSeconds: 6 * 3600 },
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
  },
  transform: {
    kind: 'sql',
    sql: loadSql(path.join(__dirname, 'validate.sql'), {
      ORDER_CURRENCIES: sqlList(ORDER_CURRENCIES),
      ORDER_STATUSES: sqlList(ORDER_STATUSES),
      ORDER_CURRENCIES_TEXT: ORDER_CURRENCIES.join(', '),
      ORDER_STATUSES_TEXT: ORDER_STATUSES.join(', '),
    }),
  },
});
