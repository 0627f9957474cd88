/**
 * Checks that gate publish, end to end (real server, worker, files and lake): a failed `error` check
 * fails the partition as `data` and nothing is published; a failed `warn` check publishes; every
 * result is in the run record; a check whose query does not run is `code`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { partitionRuns } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { definePipeline } from '../definitions/definition';
import { PipelineRegistry } from '../definitions/registry';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { ordersPipeline } from '../pipelines/orders/definition';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { runCli } from './helpers/cli';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

/** Orders with checks; `orders` is its name, so its landed files are the orders generator's. */
const checkedOrders = definePipeline({
  ...ordersPipeline,
  checks: [
    { name: 'amounts_positive', description: 'every order has a positive amount', sql: 'SELECT * FROM output WHERE amount <= 0' },
    // The test's broken day: an error check that fails on it only.
    { name: 'no_eur_on_the_broken_day', description: 'no EUR orders on 2024-01-02', sql: "SELECT * FROM output WHERE $partition = '2024-01-02' AND currency = 'EUR'" },
    { name: 'four_currencies', severity: 'warn', description: 'orders come in four currencies', sql: 'SELECT 1 FROM (SELECT count(DISTINCT currency) AS n FROM output) WHERE n < 4' },
  ],
});
const brokenCheck = definePipeline({ ...ordersPipeline, checks: [{ name: 'typo', sql: 'SELECT * FROM outptu' }] });

let h: Harness;
before(async () => {
  h = await startHarness({ registry: withReadiness(new PipelineRegistry([checkedOrders]), { orders: { pollIntervalSeconds: 1, timeoutSeconds: 30 } }) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

async function run(partition: string) {
  generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 300, files: 1 });
  const started = await startPartitionRun(h.env.client, { pipeline: 'orders', partition, runKind: 'manual' }, { config: h.config, registry: h.registry });
  return { started, outcome: await waitForPartitionRun(started) };
}
const publishedRows = async (partition: string) => Number((await h.query<{ n: bigint }>(`SELECT count(*) AS n FROM showroom.orders WHERE partition_key = '${partition}'`))[0]!.n);

describe('checks gate publish', () => {
  it('publishes when every error check passes, a failed warn check included, and records each result', async () => {
    const { outcome } = await run('2024-01-01');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.ok((await publishedRows('2024-01-01')) > 0);
    const [record] = await partitionRuns(h.config, 'orders', '2024-01-01', h.registry);
    assert.deepEqual(record!.checks, [
      { name: 'amounts_positive', severity: 'error', failed_rows: 0 },
      { name: 'no_eur_on_the_broken_day', severity: 'error', failed_rows: 0 },
      { name: 'four_currencies', severity: 'warn', failed_rows: 1 },
    ]);
  });

  it('a failed error check fails the partition as data, names the check and its rows, and publishes nothing', async () => {
    const { outcome } = await run('2024-01-02');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.step, outcome.failure.attempt], ['data', 'transform', 1]);
    assert.match(outcome.failure.reason, /^check no_eur_on_the_broken_day failed: \d+ row\(s\) break it \(no EUR orders on 2024-01-02\); nothing published$/);
    assert.equal(await publishedRows('2024-01-02'), 0);
    const [record] = await partitionRuns(h.config, 'orders', '2024-01-02', h.registry);
    assert.equal(record!.status, 'failed');
    assert.ok(record!.checks.find((c) => c.name === 'no_eur_on_the_broken_day')!.failed_rows > 0);
  });

  it('conveyor runs shows the checks that broke', () => {
    const runs = runCli('runs', ['orders', '--last', '5'], { ...process.env, CONVEYOR_DATA_DIR: h.config.dataDir });
    assert.equal(runs.status, 0, runs.stderr);
    assert.match(runs.stdout, /^2024-01-02 .*failed \(data at transform\).* no_eur_on_the_broken_day \(error, \d+ rows\)/m);
    assert.match(runs.stdout, /^2024-01-01 .*succeeded.* four_currencies \(warn, 1 row\)/m);
  });

  it('a check whose query does not run is a bug in the definition: code, naming the check', async () => {
    const registry = withReadiness(new PipelineRegistry([brokenCheck]), { orders: { pollIntervalSeconds: 1, timeoutSeconds: 30 } });
    const other = await startHarness({ registry });
    try {
      generateOrdersPartition({ landingDir: other.config.landingDir, partition: '2024-01-03', rows: 50, files: 1 });
      const started = await startPartitionRun(other.env.client, { pipeline: 'orders', partition: '2024-01-03', runKind: 'manual' }, { config: other.config, registry });
      const outcome = await waitForPartitionRun(started);
      assert.equal(outcome.status, 'failed');
      if (outcome.status === 'failed') {
        assert.equal(outcome.failure.failureClass, 'code');
        assert.match(outcome.failure.reason, /^check typo of orders does not run: Catalog Error: Table with name outptu does not exist/);
      }
    } finally {
      await other.stop();
    }
  });
});
