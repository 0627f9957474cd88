/**
 * Every shape of pipeline end to end, on a real local Temporal server with the real activities and
 * lake: hourly JSON lines (clickstream), a daily table from 24 hourly partitions and the same day of
 * orders (customer_sessions), a weekly table covering days that straddle a month, static keys with
 * Parquet files; backfills over hour ranges and key lists, staleness after an upstream republish with
 * `reprocess: stale`, each failure class on the hourly, weekly, monthly and static schemes, and bad input of
 * each kind refused in one line or failed as its class.
 */
import { FolderArea } from '../lake/area';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { planBackfill, startBackfill } from '../client/backfills';
import { startPartitionRun, waitForPartitionRun, type PartitionRunRequest } from '../client/partition-runs';
import { withDuckDB } from '../lake/duckdb';
import { generator as clickstream } from '../pipelines/clickstream/generate';
import { definePipeline, partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { ordersPipeline } from '../pipelines/orders/definition';
import { deploymentRegistry, PipelineGraphError, PipelineRegistry } from '../definitions/registry';
import { partitionLandingDir } from '../sources/files';
import { HttpError, SourceDataError } from '../common/classify';
import { upstreamSource } from '../sources/upstream';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

/** Static keys, Parquet files: one export per region. */
const regionsPipeline = definePipeline({
  ...ordersPipeline,
  name: 'region_sales',
  description: 'Sales per region, from each region\'s Parquet export.',
  partitions: { kind: 'static', keys: ['eu', 'us', 'apac'] },
  schedule: { at: '04:00', catchupWindowDays: 1, overlap: 'allow_all' },
  source: { kind: 'files', format: 'parquet', filePattern: /^export-\d+\.parquet$/, columns: ['sale_id', 'amount'], marker: '_SUCCESS' },
  table: {
    columns: [
      { name: 'sale_id', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
    ],
    uniqueKey: ['sale_id'],
  },
  transform: { kind: 'sql', sql: `SELECT source_file, record_no, sale_id, try_cast(amount AS DECIMAL(12,2)) AS amount,
                         CASE WHEN try_cast(amount AS DECIMAL(12,2)) IS NULL THEN 'amount ' || coalesce(amount, 'NULL') || ' is not a number' END AS reject_reason
                  FROM raw` },
});

/** A weekly table of orders, each ISO week covering its 7 days (weeks straddle months). */
const weeklyOrdersPipeline = definePipeline({
  ...ordersPipeline,
  name: 'weekly_orders',
  description: 'Orders per ISO week and currency.',
  partitions: { kind: 'weekly', first: '2015-W01', lag: 1 },
  schedule: { at: 'mon 05:00', catchupWindowDays: 14, overlap: 'allow_all' },
  source: { kind: 'upstream', inputs: [{ pipeline: 'orders', mapping: { kind: 'covering' } }] },
  quality: { maxRejectedRatio: 0 },
  table: {
    columns: [
      { name: 'currency', type: 'VARCHAR' },
      { name: 'orders', type: 'BIGINT' },
    ],
    uniqueKey: ['currency'],
  },
  transform: { kind: 'sql', sql: `SELECT min(source_file) AS source_file, min(record_no) AS record_no, currency, count(*)::BIGINT AS orders, NULL::VARCHAR AS reject_reason
                  FROM orders GROUP BY currency` },
});

/** A finance ledger closed by month, CSV; its SQL checks each entry is booked inside its month's window. */
const ledgerPipeline = definePipeline({
  ...ordersPipeline,
  name: 'ledger',
  description: 'Ledger entries per month.',
  partitions: { kind: 'monthly', first: '2015-01', lag: 1 },
  schedule: { at: '1 04:00', catchupWindowDays: 31, overlap: 'allow_all' },
  source: { kind: 'files', format: 'csv', filePattern: /^ledger\.csv$/, columns: ['entry_id', 'amount', 'booked_at'], marker: '_SUCCESS' },
  quality: { maxRejectedRatio: 0.5 },
  table: {
    columns: [
      { name: 'entry_id', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
      { name: 'booked_at', type: 'TIMESTAMP' },
    ],
    uniqueKey: ['entry_id'],
  },
  transform: { kind: 'sql', sql: `SELECT source_file, record_no, entry_id, amount::DECIMAL(12,2) AS amount, booked_at::TIMESTAMP AS booked_at,
                         CASE WHEN booked_at::TIMESTAMP < $partition_start::TIMESTAMP OR booked_at::TIMESTAMP >= $partition_end::TIMESTAMP
                              THEN 'booked_at ' || booked_at || ' is outside ' || $partition END AS reject_reason
                  FROM raw` },
});

/** The ledger with SQL naming a column its input does not have: a bug, failed as code, never retried. */
const brokenLedgerPipeline = definePipeline({
  ...ledgerPipeline,
  name: 'ledger_broken',
  source: { ...(ledgerPipeline.source as Extract<PipelineDefinition['source'], { kind: 'files' }>) },
  table: { ...ledgerPipeline.table },
  transform: { kind: 'sql', sql: 'SELECT source_file, record_no, entry_id, amount, booked_at, posted_by AS reject_reason FROM raw' },
});

/** Calls of the API sources below, per partition. */
const apiCalls = new Map<string, number>();
const called = (key: string) => {
  const n = (apiCalls.get(key) ?? 0) + 1;
  apiCalls.set(key, n);
  return n;
};

/** A static key set from an API that answers 503 to the first call for each key: transient, retried. */
const regionApiPipeline = definePipeline({
  ...regionsPipeline,
  name: 'region_api',
  source: {
    kind: 'function',
    columns: ['sale_id', 'amount'],
    rows: async function* regionSales({ partition }) {
      if (called(`region_api/${partition}`) === 1) throw new HttpError(503, `GET /regions/${partition}/sales: HTTP 503`);
      yield* [{ sale_id: `${partition}-1`, amount: '1.50' }, { sale_id: `${partition}-2`, amount: '2.50' }];
    },
  },
});

/** Weekly rows from an API whose answer for 2024-W10 is not what it should be: data, never retried. */
const weeklyApiPipeline = definePipeline({
  ...regionsPipeline,
  name: 'weekly_api',
  partitions: { kind: 'weekly', first: '2024-W01', lag: 1 },
  schedule: { at: 'mon 05:00', catchupWindowDays: 14, overlap: 'allow_all' },
  source: {
    kind: 'function',
    columns: ['sale_id', 'amount'],
    rows: async function* weeklySales({ partition }) {
      called(`weekly_api/${partition}`);
      if (partition === '2024-W10') throw new SourceDataError(`week ${partition}: the page has no rows array`);
      yield { sale_id: `${partition}-1`, amount: '1.00' };
    },
  },
});

const fast = { pollIntervalSeconds: 1, timeoutSeconds: 60 };
let h: Harness;
before(async () => {
  h = await startHarness({
    registry: withReadiness(new PipelineRegistry([...deploymentRegistry().all(), regionsPipeline, weeklyOrdersPipeline, ledgerPipeline, brokenLedgerPipeline, regionApiPipeline, weeklyApiPipeline]), {
      // Polled every second; the runs that show a dependency failure give up after 2 s.
      orders: fast,
      clickstream: { pollIntervalSeconds: 1, timeoutSeconds: 2 },
      customer_sessions: { pollIntervalSeconds: 1, timeoutSeconds: 2 },
      weekly_orders: { pollIntervalSeconds: 1, timeoutSeconds: 2 },
      // Polled every 10 minutes: only an upstream publish's wake-up can end its wait within a test.
      daily_revenue: { pollIntervalSeconds: 600, timeoutSeconds: 900 },
    }),
  });
}, START_HOOK_OPTIONS);
after(() => h?.stop(), STOP_HOOK_OPTIONS);
afterEach(() => h?.reset(), STOP_HOOK_OPTIONS);

const opts = () => ({ config: h.config, registry: h.registry });
const run = async (request: PartitionRunRequest) => waitForPartitionRun(await startPartitionRun(h.env.client, request, opts()));
const hoursOf = (day: string) => [...partitionSchemeOf(h.registry.get('clickstream')).range(`${day}T00`, `${day}T23`)];

async function writeParquet(file: string, rows: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await withDuckDB((db) => db.run(`COPY (${rows}) TO '${file}' (FORMAT parquet)`));
}

describe('every shape of pipeline', () => {
  it('hourly JSON lines: a day of hours backfilled as a range, a line that is not JSON and an unknown event type rejected, the rest published', { timeout: 180_000 }, async () => {
    for (const hour of hoursOf('2024-03-01')) {
      clickstream.generate({ landingDir: h.config.landingDir, partition: hour, faults: hour === '2024-03-01T05' ? [{ kind: 'malformed' }] : [] });
    }
    const backfill = await startBackfill(h.env.client, { pipeline: 'clickstream', from: '2024-03-01T00', to: '2024-03-01T23', maxConcurrency: 8 }, opts());
    const result = await backfill.handle.result();
    assert.deepEqual([result.total, result.succeeded, result.failed], [24, 24, 0]);
    const [published] = await h.query<{ n: bigint; hours: bigint }>(`SELECT count(*) AS n, count(DISTINCT partition_key) AS hours FROM showroom.clickstream`);
    assert.deepEqual([published!.n, published!.hours], [24n * 200n, 24n]);
    const rejects = await h.query<{ stage: string; reason: string }>(
      `SELECT stage, reason FROM quality.rejects WHERE pipeline = 'clickstream' AND partition_key = '2024-03-01T05' ORDER BY stage`,
    );
    assert.deepEqual(rejects.map((r) => r.stage), ['parse', 'validate']);
    assert.match(rejects[0]!.reason, /^malformed JSON line: not a JSON object$/);
    assert.match(rejects[1]!.reason, /^event_type 'teleport' is not one of view, search, add_to_cart, checkout$/);
  });

  it('a daily table from 24 hourly partitions and the same day of orders: waits for all 25, reads them as two views, records each run it read', { timeout: 180_000 }, async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-01', rows: 300, files: 1 });
    // Before orders/2024-03-01 is published, the day is not ready: a dependency failure naming it.
    const early = await run({ pipeline: 'customer_sessions', partition: '2024-03-01' });
    assert.equal(early.status, 'failed');
    assert.equal(early.status === 'failed' && early.failure.failureClass, 'dependency');
    assert.match(early.status === 'failed' ? early.failure.reason : '', /orders 2024-03-01 is not published yet/);

    assert.equal((await run({ pipeline: 'orders', partition: '2024-03-01' })).status, 'succeeded');
    const outcome = await run({ pipeline: 'customer_sessions', partition: '2024-03-01' });
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    const [manifest] = await h.query<{ upstream: { pipeline: string; partition_key: string }[]; rows_in: bigint }>(
      `SELECT upstream, rows_in FROM meta.partition_runs WHERE pipeline = 'customer_sessions' AND partition_key = '2024-03-01' AND status = 'succeeded'`,
    );
    assert.deepEqual(manifest!.upstream.map((u) => `${u.pipeline}/${u.partition_key}`), [...hoursOf('2024-03-01').map((k) => `clickstream/${k}`), 'orders/2024-03-01']);
    const [expected] = await h.query<{ events: bigint; read: bigint }>(
      `SELECT (SELECT count(*) FROM showroom.clickstream WHERE partition_key LIKE '2024-03-01T%') AS events,
              (SELECT count(*) FROM showroom.clickstream WHERE partition_key LIKE '2024-03-01T%') + (SELECT count(*) FROM showroom.orders WHERE partition_key = '2024-03-01') AS read`,
    );
    const [sessions] = await h.query<{ events: bigint; orders: bigint }>(`SELECT sum(events)::BIGINT AS events, sum(orders)::BIGINT AS orders FROM showroom.customer_sessions WHERE partition_key = '2024-03-01'`);
    assert.equal(sessions!.events, expected!.events, 'every event of the 24 hours counted once');
    assert.equal(manifest!.rows_in, expected!.read, 'rows in: every upstream row read');
    assert.ok(sessions!.orders > 0n, 'orders joined to the customers active that day');
  });

  it('a republished hour marks the day that read it stale, and reprocess: stale reruns exactly that day', { timeout: 180_000 }, async () => {
    assert.equal((await run({ pipeline: 'clickstream', partition: '2024-03-01T07', runKind: 'manual' })).status, 'succeeded');
    const stale = await h.query<{ partition_key: string; upstream_pipeline: string }>(`SELECT partition_key, upstream_pipeline FROM meta.stale_partitions WHERE pipeline = 'customer_sessions'`);
    assert.deepEqual(stale, [{ partition_key: '2024-03-01', upstream_pipeline: 'clickstream' }]);
    const range = { pipeline: 'customer_sessions', from: '2024-02-28', to: '2024-03-01', reprocess: 'stale' } as const;
    const plan = await planBackfill(h.env.client, range, opts());
    assert.deepEqual(plan.partitions.map((p) => p.partition), ['2024-03-01']);
    assert.match(plan.partitions[0]!.reason, /^stale: clickstream run .* since republished by /);
    const result = await (await startBackfill(h.env.client, range, opts())).handle.result();
    assert.deepEqual([result.succeeded, result.skipped], [1, 2]);
    assert.deepEqual(await h.query(`SELECT * FROM meta.stale_partitions WHERE pipeline = 'customer_sessions'`), []);
  });

  it('an upstream publish wakes the downstream partition waiting for it at once, not at its next poll', { timeout: 120_000 }, async () => {
    // Polled every 10 minutes: only the publish's wake-up can finish it within the test.
    const waiting = await startPartitionRun(h.env.client, { pipeline: 'daily_revenue', partition: '2024-03-05' }, opts());
    for (let i = 0; i < 100 && !h.logLines.some((l) => l.msg === 'awaitLanding failed' && l.partition === '2024-03-05'); i += 1) await new Promise((r) => setTimeout(r, 100));
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-05', rows: 100, files: 1 });
    assert.equal((await run({ pipeline: 'orders', partition: '2024-03-05' })).status, 'succeeded');
    const started = Date.now();
    assert.equal((await waitForPartitionRun(waiting)).status, 'succeeded');
    assert.ok(Date.now() - started < 60_000, `woken by the publish (${Date.now() - started} ms), not by a poll`);
    assert.ok(h.logLines.some((l) => l.msg === 'told waiting downstream partitions' && (l.woken as string[]).includes('daily_revenue.2024-03-05')));
  });

  it('weekly covering days: a week that straddles two months is ready only when all 7 days are published', { timeout: 180_000 }, async () => {
    // 2024-W09 runs from Monday 26 February to Sunday 3 March.
    const days = ['2024-02-26', '2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02', '2024-03-03'];
    for (const day of days) generateOrdersPartition({ landingDir: h.config.landingDir, partition: day, rows: 100, files: 1 });
    await startBackfill(h.env.client, { pipeline: 'orders', from: '2024-02-26', to: '2024-03-02', maxConcurrency: 6 }, opts()).then((b) => b.handle.result());
    const notYet = await run({ pipeline: 'weekly_orders', partition: '2024-W09' });
    assert.match(notYet.status === 'failed' ? notYet.failure.reason : 'succeeded', /weekly_orders\/2024-W09 not ready: orders 2024-03-03 is not published yet$/);
    assert.equal((await run({ pipeline: 'orders', partition: '2024-03-03' })).status, 'succeeded');
    assert.equal((await run({ pipeline: 'weekly_orders', partition: '2024-W09' })).status, 'succeeded');
    const [week] = await h.query<{ orders: bigint; daily: bigint }>(
      `SELECT (SELECT sum(orders) FROM showroom.weekly_orders WHERE partition_key = '2024-W09')::BIGINT AS orders,
              (SELECT count(*) FROM showroom.orders WHERE partition_key BETWEEN '2024-02-26' AND '2024-03-03')::BIGINT AS daily`,
    );
    assert.equal(week!.orders, week!.daily);
  });

  it('monthly files: three months backfilled, an entry booked outside its month rejected with the window in its reason', { timeout: 120_000 }, async () => {
    for (const month of ['2024-01', '2024-02', '2024-03']) {
      const dir = partitionLandingDir(h.config.landingDir, ledgerPipeline, month);
      fs.mkdirSync(dir, { recursive: true });
      const last = month === '2024-02' ? '29' : '31';
      fs.writeFileSync(path.join(dir, 'ledger.csv'), `entry_id,amount,booked_at\n${month}-a,10.00,${month}-01 00:00:00\n${month}-b,20.00,${month}-${last} 23:59:59\n${month}-c,5.00,2023-12-31 23:59:59\n`);
      fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
    }
    const result = await (await startBackfill(h.env.client, { pipeline: 'ledger', from: '2024-01', to: '2024-03' }, opts())).handle.result();
    assert.deepEqual([result.total, result.succeeded], [3, 3]);
    const rows = await h.query<{ partition_key: string; n: bigint }>(`SELECT partition_key, count(*) AS n FROM showroom.ledger GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(rows, [{ partition_key: '2024-01', n: 2n }, { partition_key: '2024-02', n: 2n }, { partition_key: '2024-03', n: 2n }]);
    const [reject] = await h.query<{ reason: string }>(`SELECT reason FROM quality.rejects WHERE pipeline = 'ledger' AND partition_key = '2024-02'`);
    assert.equal(reject!.reason, 'booked_at 2023-12-31 23:59:59 is outside 2024-02');
    await assert.rejects(startPartitionRun(h.env.client, { pipeline: 'ledger', partition: '2024-02-01' }, opts()), /^InputError: ledger: partition '2024-02-01' is not a month as YYYY-MM, e.g. 2024-03$/);
  });

  it('a month covering weeks waits for the week of its last days, even though that week ends in the next month', async () => {
    const monthly = definePipeline({ ...weeklyOrdersPipeline, name: 'monthly_orders', partitions: { kind: 'monthly', first: '2015-01', lag: 1 }, schedule: { at: '1 06:00', catchupWindowDays: 31, overlap: 'allow_all' }, source: { kind: 'upstream', inputs: [{ pipeline: 'weekly_orders', mapping: { kind: 'covering' } }] } });
    const registry = new PipelineRegistry([ordersPipeline, weeklyOrdersPipeline, monthly]);
    const lakeRoot = fs.mkdtempSync(path.join(h.config.dataDir, 'months-'));
    const lake = new (h.lake.constructor as new (root: string) => typeof h.lake)(lakeRoot);
    const publish = (week: string) => {
      fs.mkdirSync(path.dirname(lake.publishedFile('weekly_orders', week)), { recursive: true });
      fs.writeFileSync(lake.publishedFile('weekly_orders', week), 'x');
    };
    const readiness = () => upstreamSource.readiness({ deps: { registry, landing: new FolderArea(h.config.landingDir), lake }, pipeline: monthly, source: monthly.source as never, partition: '2024-10' });
    assert.deepEqual(await readiness(), { ready: false, failureClass: 'dependency', why: 'weekly_orders 5 of its 5 partitions 2024-W40..2024-W44 (first missing: 2024-W40) are not published yet' });
    for (const week of ['2024-W40', '2024-W41', '2024-W42', '2024-W43']) publish(week);
    assert.deepEqual(await readiness(), { ready: false, failureClass: 'dependency', why: 'weekly_orders 2024-W44 is not published yet' });
    publish('2024-W44');
    assert.equal((await readiness()).ready, true);
  });

  it('static keys with Parquet files: a backfill over every key, one over a list of keys, and a file without a declared column failed as data', { timeout: 180_000 }, async () => {
    for (const [i, key] of ['eu', 'us', 'apac'].entries()) {
      const dir = partitionLandingDir(h.config.landingDir, regionsPipeline, key);
      await writeParquet(path.join(dir, 'export-0.parquet'), `SELECT '${key}-' || range AS sale_id, (range * ${i + 1})::VARCHAR AS amount FROM range(10)`);
      fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
    }
    const result = await (await startBackfill(h.env.client, { pipeline: 'region_sales', from: 'eu', to: 'apac', maxConcurrency: 3 }, opts())).handle.result();
    assert.deepEqual([result.total, result.succeeded], [3, 3]);
    const rows = await h.query<{ partition_key: string; n: bigint }>(`SELECT partition_key, count(*) AS n FROM showroom.region_sales GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(rows, [{ partition_key: 'apac', n: 10n }, { partition_key: 'eu', n: 10n }, { partition_key: 'us', n: 10n }]);

    // A list of keys: exactly those, in that order.
    const listed = await startBackfill(h.env.client, { pipeline: 'region_sales', keys: ['apac', 'eu'], reprocess: 'all' }, opts());
    assert.equal(listed.backfillId, 'backfill.region_sales.keys-apac+eu.all.oldest-first');
    const relisted = await listed.handle.result();
    assert.deepEqual([relisted.total, relisted.succeeded], [2, 2]);
    const runsPerKey = await h.query<{ partition_key: string; n: bigint }>(`SELECT partition_key, count(*) AS n FROM meta.partition_runs WHERE pipeline = 'region_sales' GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(runsPerKey, [{ partition_key: 'apac', n: 2n }, { partition_key: 'eu', n: 2n }, { partition_key: 'us', n: 1n }]);
    await assert.rejects(startBackfill(h.env.client, { pipeline: 'region_sales', keys: ['eu', 'mars'] }, opts()), /^InputError: region_sales: key 'mars' is not one of eu, us, apac$/);

    const dir = partitionLandingDir(h.config.landingDir, regionsPipeline, 'us');
    await writeParquet(path.join(dir, 'export-0.parquet'), `SELECT 'x' AS sale_id, 1 AS price`);
    const bad = await run({ pipeline: 'region_sales', partition: 'us' });
    assert.equal(bad.status === 'failed' && bad.failure.failureClass, 'data');
    assert.match(bad.status === 'failed' ? bad.failure.reason : '', /^export-0\.parquet has no column amount \(declared: sale_id, amount; the file has sale_id, price\)$/);
    const [still] = await h.query<{ n: bigint }>(`SELECT count(*) AS n FROM showroom.region_sales WHERE partition_key = 'us'`);
    assert.equal(still!.n, 10n, 'the published partition is untouched');
  });

  it('each failure class on a scheme other than daily: an hour waits out its readiness (dependency), a month with broken SQL (code), a week with a bad API page (data), a key whose API answers 503 once (transient, retried)', { timeout: 180_000 }, async () => {
    const failure = (outcome: Awaited<ReturnType<typeof run>>) => (outcome.status === 'failed' ? outcome.failure : undefined);
    const attemptsOf = async (pipeline: string, partition: string) =>
      (await h.query<{ attempts: Record<string, bigint> }>(`SELECT attempts FROM meta.partition_runs WHERE pipeline = '${pipeline}' AND partition_key = '${partition}'`)).map((r) => r.attempts);

    const hour = failure(await run({ pipeline: 'clickstream', partition: '2024-05-01T09' }));
    assert.deepEqual([hour?.failureClass, hour?.step], ['dependency', 'awaitLanding']);
    assert.match(hour!.reason, /2024-05-01T09/);

    const dir = partitionLandingDir(h.config.landingDir, brokenLedgerPipeline, '2024-04');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ledger.csv'), 'entry_id,amount,booked_at\n2024-04-a,10.00,2024-04-01 00:00:00\n');
    fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
    const month = failure(await run({ pipeline: 'ledger_broken', partition: '2024-04' }));
    assert.deepEqual([month?.failureClass, month?.step], ['code', 'transform']);
    assert.match(month!.reason, /posted_by/);
    assert.equal((await attemptsOf('ledger_broken', '2024-04'))[0]!.transform, 1n, 'a bug is not retried');
    assert.deepEqual(await h.query(`SELECT * FROM showroom.ledger_broken`), [], 'nothing published');

    const week = failure(await run({ pipeline: 'weekly_api', partition: '2024-W10' }));
    assert.deepEqual([week?.failureClass, week?.step], ['data', 'ingest']);
    assert.match(week!.reason, /week 2024-W10: the page has no rows array/);
    assert.equal(apiCalls.get('weekly_api/2024-W10'), 1, 'bad data is not retried');

    const key = await run({ pipeline: 'region_api', partition: 'apac' });
    assert.equal(key.status, 'succeeded', JSON.stringify(failure(key)));
    assert.equal(apiCalls.get('region_api/apac'), 2, 'the 503 was retried once');
    assert.equal((await attemptsOf('region_api', 'apac'))[0]!.ingest, 2n);
    assert.deepEqual(await h.query(`SELECT sale_id FROM showroom.region_api ORDER BY 1`), [{ sale_id: 'apac-1' }, { sale_id: 'apac-2' }]);
  });

  it('refuses bad input in one line: a key of another scheme, a static key not in the set, a mapping that does not fit; a CSV where JSON lines are expected fails as data', { timeout: 120_000 }, async () => {
    await assert.rejects(startPartitionRun(h.env.client, { pipeline: 'clickstream', partition: '2024-03-01' }, opts()), /^InputError: clickstream: partition '2024-03-01' is not an hour as YYYY-MM-DDTHH, e.g. 2024-03-01T05$/);
    await assert.rejects(startBackfill(h.env.client, { pipeline: 'clickstream', from: '2024-03-01', to: '2024-03-02' }, opts()), /^InputError: clickstream: from '2024-03-01' is not an hour as YYYY-MM-DDTHH/);
    await assert.rejects(startPartitionRun(h.env.client, { pipeline: 'region_sales', partition: 'mars' }, opts()), /^InputError: region_sales: partition 'mars' is not one of eu, us, apac$/);
    const hourlyFromMonthly: PipelineDefinition = definePipeline({ ...weeklyOrdersPipeline, name: 'hourly_bad', partitions: { kind: 'hourly', first: '2015-01-01T00', lag: 1 }, schedule: { at: ':05', catchupWindowDays: 1, overlap: 'allow_all' }, source: { kind: 'upstream', inputs: [{ pipeline: 'weekly_orders', mapping: { kind: 'covering' } }] } });
    assert.throws(
      () => new PipelineRegistry([ordersPipeline, weeklyOrdersPipeline, hourlyFromMonthly]),
      (e: Error) => e instanceof PipelineGraphError && e.message === "pipeline 'hourly_bad': an hourly pipeline reading weekly_orders (weekly) with 'covering' needs an upstream as fine or finer (allowed: hourly)",
    );

    const hour = '2024-03-02T00';
    const dir = partitionLandingDir(h.config.landingDir, h.registry.get('clickstream'), hour);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'events-0000.jsonl'), 'event_id,customer_id,event_at,page,event_type\ne1,C1,2024-03-02T00:01:00,/,view\n');
    fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
    const outcome = await run({ pipeline: 'clickstream', partition: hour });
    assert.equal(outcome.status === 'failed' && outcome.failure.failureClass, 'data');
    assert.match(outcome.status === 'failed' ? outcome.failure.reason : '', /^2 of 2 rows rejected .*malformed JSON line: not a JSON object/);
    assert.equal(fs.existsSync(h.lake.publishedFile('clickstream', hour)), false, 'nothing published');
  });
});
