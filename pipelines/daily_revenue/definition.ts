/**
 * `daily_revenue`: a downstream pipeline. Each day's partition reads the same day's published
 * `orders` partition (whatever started either run) and publishes revenue and order counts per
 * currency to showroom.daily_revenue; its run records which orders run it read. When that orders
 * partition is republished later, the daily_revenue partition is listed as stale
 * (`meta.stale_partitions`, `npx conveyor graph`) until it is rerun.
 */
import path from 'node:path';
import { definePipeline, loadSql } from 'conveyor/pipeline';

export const dailyRevenuePipeline = definePipeline({
  name: 'daily_revenue',
  description: 'Revenue and order counts per day and currency, from the published orders partitions.',
  owner: 'finance-analytics@conveyor.example',
  partitions: { kind: 'daily', first: '2015-01-01', lag: 1 },
  freshnessObjectiveHours: 32,
  // An hour after orders' run, so its partition is usually published; if not, it waits for it
  // (checked every minute, for up to 8 hours: the daily defaults).
  schedule: { at: '03:00' },
  // The same day's orders partition, as the view `orders`.
  source: { kind: 'upstream', inputs: [{ pipeline: 'orders', mapping: 'same' }] },
  table: {
    columns: [
      { name: 'currency', type: 'VARCHAR' },
      { name: 'orders', type: 'BIGINT' },
      { name: 'revenue', type: 'DECIMAL(14,2)' },
    ],
    uniqueKey: ['currency'],
  },
  transform: { kind: 'sql', sql: loadSql(path.join(__dirname, 'revenue.sql')) },
});
