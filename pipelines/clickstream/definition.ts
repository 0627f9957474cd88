/**
 * `clickstream`: the web shop's click events, one JSON-lines drop per hour in
 * `landing/clickstream/hour=YYYY-MM-DDTHH/events-*.jsonl`, followed by a `_SUCCESS` marker. A line that
 * is not a JSON object, or an event that breaks a rule, goes to the reject bin.
 */
import path from 'node:path';
import { definePipeline, loadSql, sqlList } from 'conveyor/pipeline';

export const EVENT_TYPES = ['view', 'search', 'add_to_cart', 'checkout'] as const;

export const clickstreamPipeline = definePipeline({
  name: 'clickstream',
  description: 'Web shop click events per hour (JSON lines), validated, de-duplicated and published to showroom.clickstream.',
  owner: 'web-analytics@conveyor.example',
  // An hour's events can exist from the next hour (UTC).
  partitions: { kind: 'hourly', first: '2015-01-01T00', lag: 1 },
  // Runs made up after an outage: the last two days' hours, not a week's.
  schedule: { catchupWindowDays: 2 },
  source: {
    kind: 'files',
    format: 'jsonl',
    filePattern: /^events-\d+\.jsonl$/,
    columns: ['event_id', 'customer_id', 'event_at', 'page', 'event_type'],
    marker: '_SUCCESS',
  },
  quality: { maxRejectedRatio: 0.05 },
  table: {
    columns: [
      { name: 'event_id', type: 'VARCHAR' },
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'event_at', type: 'TIMESTAMP' },
      { name: 'page', type: 'VARCHAR' },
      { name: 'event_type', type: 'VARCHAR' },
    ],
    uniqueKey: ['event_id'],
  },
  transform: {
    kind: 'sql',
    sql: loadSql(path.join(__dirname, 'validate.sql'), { EVENT_TYPES: sqlList(EVENT_TYPES), EVENT_TYPES_TEXT: EVENT_TYPES.join(', ') }),
  },
  // An hour's events are small: a step stuck for 5 minutes is lost, not slow.
  steps: { timeoutSeconds: 300 },
});
