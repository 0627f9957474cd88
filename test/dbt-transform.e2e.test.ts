/**
 * The `dbt` transform end to end, with the real dbt-core and dbt-duckdb `npm run python-env` installs:
 * a project with a staging model, the model a pipeline publishes (its `ref`) and its dbt tests, over
 * landed files. Published once with the right rows, a rerun replaces, a failed dbt test is `data` with
 * nothing published, a project that does not compile is `code`; dbt's run_results.json is kept.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { partitionRuns } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { definePipeline, partitionLandingDir, type PipelineDeclaration } from '../pipelines/sdk';
import { PipelineRegistry } from '../definitions/registry';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

const PROJECTS = path.join(__dirname, 'fixtures', 'dbt');
const common: Omit<PipelineDeclaration, "name" | "transform"> = {
  description: "A day's orders per currency, by a dbt model.",
  owner: 'finance@example.com',
  partitions: { kind: 'daily', first: '2024-01-01', lag: 1 },
  source: { kind: 'files', format: 'csv', filePattern: /^part-\d+\.csv$/, columns: ['order_id', 'currency', 'amount'], marker: '_SUCCESS' },
  table: { columns: [{ name: 'currency', type: 'VARCHAR' }, { name: 'orders', type: 'BIGINT' }, { name: 'revenue', type: 'DECIMAL(14,2)' }], uniqueKey: ['currency'] },
  steps: { timeoutSeconds: 180, maxAttempts: 3 },
};
const dbtOrders = definePipeline({ ...common, name: 'dbt_orders', transform: { kind: 'dbt', project: path.join(PROJECTS, 'shop'), model: 'daily_orders' } });
const brokenDbt = definePipeline({ ...common, name: 'dbt_broken', transform: { kind: 'dbt', project: path.join(PROJECTS, 'broken'), model: 'daily_orders' } });

/** Every file under `dir`, relative to it. */
const filesOf = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
const PROJECT_FILES = filesOf(PROJECTS);

let h: Harness;
before(async () => {
  const fast = { pollIntervalSeconds: 1, timeoutSeconds: 30 };
  h = await startHarness({ registry: withReadiness(new PipelineRegistry([dbtOrders, brokenDbt]), { dbt_orders: fast, dbt_broken: fast }) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

function land(pipeline: string, partition: string, currencies: string[]): void {
  const dir = partitionLandingDir(h.config.landingDir, h.registry.get(pipeline), partition);
  fs.mkdirSync(dir, { recursive: true });
  const lines = ['order_id,currency,amount', ...currencies.map((c, i) => `${i + 1},${c},${(10 + i).toFixed(2)}`)];
  fs.writeFileSync(path.join(dir, 'part-0000.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
}

async function run(pipeline: string, partition: string) {
  const started = await startPartitionRun(h.env.client, { pipeline, partition, runKind: 'manual' }, { config: h.config, registry: h.registry });
  return { started, outcome: await waitForPartitionRun(started) };
}

const published = (partition: string) =>
  h.query<{ currency: string; orders: bigint; revenue: string; run_id: string }>(
    `SELECT currency, orders, revenue::VARCHAR AS revenue, run_id FROM showroom.dbt_orders WHERE partition_key = '${partition}' ORDER BY currency`,
  );

describe('a dbt model as the transform', { timeout: 600_000 }, () => {
  it("publishes the model's rows once, with its tests as checks and dbt's run_results.json kept", async () => {
    land('dbt_orders', '2024-03-01', ['EUR', 'EUR', 'USD']);
    const { started, outcome } = await run('dbt_orders', '2024-03-01');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual((await published('2024-03-01')).map((r) => [r.currency, r.orders, r.revenue, r.run_id]), [
      ['EUR', 2n, '21.00', started.runId],
      ['USD', 1n, '12.00', started.runId],
    ]);
    const [record] = await partitionRuns(h.config, 'dbt_orders', '2024-03-01', h.registry);
    assert.match(record!.transform!.engine, /^dbt-core 1\.11\.\d+ \(dbt-duckdb\)$/);
    assert.deepEqual(record!.checks.map((c) => [c.name, c.severity, c.failed_rows]).sort(), [
      ['dbt_accepted_values_daily_orders_currency__EUR__USD__GBP', 'error', 0],
      ['dbt_not_null_daily_orders_currency', 'error', 0],
    ]);
    const evidence = fs.readdirSync(h.lake.evidenceDir('dbt_orders', '2024-03-01'));
    assert.deepEqual(evidence.map((f) => f.replace(/\.attempt-\d+\.[0-9a-f]+\./, '.<tag>.')), [`${started.runId}.<tag>.dbt-run_results.json`]);
    assert.deepEqual(fs.readdirSync(h.lake.manifestDir('dbt_orders', '2024-03-01')), [`${started.runId}.json`], 'only run records beside the run records');
    const runs = await h.query<{ n: bigint }>("SELECT count(*) AS n FROM meta.partition_runs WHERE pipeline = 'dbt_orders'");
    assert.equal(runs[0]!.n, 1n);
    assert.deepEqual(filesOf(PROJECTS), PROJECT_FILES, 'dbt wrote nothing into the project');
  });

  it('a rerun replaces the partition', async () => {
    const { started, outcome } = await run('dbt_orders', '2024-03-01');
    assert.equal(outcome.status, 'succeeded');
    const rows = await published('2024-03-01');
    assert.deepEqual(rows.map((r) => r.run_id), [started.runId, started.runId]);
  });

  it('a failed dbt test is data, names the test, and nothing is published', async () => {
    land('dbt_orders', '2024-03-02', ['EUR', 'XYZ']);
    const { outcome } = await run('dbt_orders', '2024-03-02');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.attempt], ['data', 1]);
    assert.match(outcome.failure.reason, /^check dbt_accepted_values_daily_orders_currency__EUR__USD__GBP failed: 1 row\(s\) break it; nothing published$/);
    assert.deepEqual(await published('2024-03-02'), []);
  });

  it('a project that does not compile (a ref to no model) is code, in dbt words, never retried', async () => {
    land('dbt_broken', '2024-03-01', ['EUR']);
    const { outcome } = await run('dbt_broken', '2024-03-01');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.attempt], ['code', 1]);
    assert.match(outcome.failure.reason, /no_such_model/);
  });
});
