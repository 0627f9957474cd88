/**
 * `customer_sessions`: per customer and day, what they did on the site and what they bought. Each day
 * reads the 24 hourly `clickstream` partitions that day covers (`covering`) and the same day's `orders`
 * (`same`), as the views `clickstream` and `orders`. Ready when all 25 are published; its run records
 * each upstream run it read, so a republished hour or day marks this day stale.
 */
import path from 'node:path';
import { definePipeline, loadSql } from 'conveyor/pipeline';

export const customerSessionsPipeline = definePipeline({
  name: 'customer_sessions',
  description: 'Per customer and day: events, pages and orders, from 24 hourly clickstream partitions joined with that day\'s orders.',
  owner: 'growth-analytics@conveyor.example',
  partitions: { kind: 'daily', first: '2015-01-01', lag: 1 },
  freshnessObjectiveHours: 32,
  // After its upstreams' runs, so their partitions are usually published; if not, it waits for them.
  schedule: { at: '03:30' },
  source: {
    kind: 'upstream',
    inputs: [
      { pipeline: 'clickstream', mapping: 'covering' },
      { pipeline: 'orders', mapping: 'same' },
    ],
  },
  table: {
    columns: [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'events', type: 'BIGINT' },
      { name: 'pages', type: 'BIGINT' },
      { name: 'orders', type: 'BIGINT' },
      { name: 'revenue', type: 'DECIMAL(14,2)' },
    ],
    uniqueKey: ['customer_id'],
  },
  transform: { kind: 'sql', sql: loadSql(path.join(__dirname, 'sessions.sql')) },
});
