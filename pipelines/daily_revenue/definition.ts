/**
 * `daily_revenue`: a downstream pipeline. Each day's partition reads the same day's published
 * `orders` partition (whatever started either run) and publishes revenue and order counts per
 * currency to showroom.daily_revenue; its run records which orders run it read. When that orders
 * partition is republished later, the daily_revenue partition is listed as stale
 * (`meta.stale_partitions`, `npm run graph`) until it is rerun.
 */
import path from 'node:path';
import { definePipeline, loadSql } from '../../definitions/definition';
import { ordersPipeline } from '../orders/definition';

export const dailyRevenuePipeline = definePipeline({
  name: 'daily_revenue',
  description: 'Revenue and order counts per day and currency, from the published orders partitions.',
  owner: 'finance-analytics@conveyor.example',
  partitions: ordersPipeline.partitions,
  freshnessObjectiveHours: 32,
  // An hour after orders' run, so its partition is usually published; if not, it waits for it.
  schedule: { at: '03:00', catchupWindowDays: 7, overlap: 'allow_all' },
  // The same day's orders partition, as the view `orders`.
  source: { kind: 'upstream', inputs: [{ pipeline: 'orders', mapping: { kind: 'same' } }] },
  // Waits for orders' partition to be published: checked every minute, for up to 8 hours.
  readiness: { pollIntervalSeconds: 60, timeoutSeconds: 8 * 3600 },
  quality: { maxRejectedRatio: 0 },
  table: {
    columns: [
      { name: 'currency', type: 'VARCHAR' },
      { name: 'orders', type: 'BIGINT' },
      { name: 'revenue', type: 'DECIMAL(14,2)' },
    ],
    uniqueKey: ['currency'],
    validateSql: loadSql(path.join(__dirname, 'revenue.sql')),
  },
  steps: { timeoutSeconds: 600, maxAttempts: 5 },
});
