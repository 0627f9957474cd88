/**
 * A downstream pipeline end to end, real activities and lake on a real local Temporal server:
 * `daily_revenue` waits until the same `orders` partition is published (whatever started either
 * run), publishes exact aggregates, records the upstream run it read, and is listed as stale when
 * that orders partition is republished, until it is rerun.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { deploymentRegistry } from '../definitions/registry';
import { startHarness, withReadiness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';

let h: Harness;
before(async () => {
  h = await startHarness({ registry: withReadiness(deploymentRegistry(), { orders: { pollIntervalSeconds: 1, timeoutSeconds: 120 }, daily_revenue: { pollIntervalSeconds: 1, timeoutSeconds: 120 } }) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

const partition = '2024-09-01';
const run = (pipeline: string) =>
  startPartitionRun(h.env.client, { pipeline, partition }, { config: h.config, registry: h.registry });
const expectedRevenue = () =>
  h.query<{ currency: string; orders: bigint; revenue: string }>(
    `SELECT currency, count(*) AS orders, sum(amount)::DECIMAL(14,2)::VARCHAR AS revenue FROM showroom.orders
     WHERE partition_key = '${partition}' AND status <> 'cancelled' GROUP BY ALL ORDER BY currency`,
  );
const publishedRevenue = () =>
  h.query<{ currency: string; orders: bigint; revenue: string }>(
    `SELECT currency, orders, revenue::VARCHAR AS revenue FROM showroom.daily_revenue WHERE partition_key = '${partition}' ORDER BY currency`,
  );

describe('daily_revenue, downstream of orders', () => {
  it('waits for the same orders partition to be published, then publishes exact aggregates and records the orders run it read', async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 400, files: 2 });
    const revenue = await run('daily_revenue');
    // It waits: orders/2024-09-01 is not published yet.
    for (let i = 0; i < 50 && !h.logLines.some((l) => l.msg === 'awaitLanding failed' || String(l.err ?? '').includes('is not published yet')); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await revenue.handle.describe()).status.name, 'RUNNING');
    const orders = await run('orders');
    assert.equal((await waitForPartitionRun(orders)).status, 'succeeded');
    const outcome = await waitForPartitionRun(revenue);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));

    assert.deepEqual(await publishedRevenue(), await expectedRevenue());
    assert.ok((await publishedRevenue()).length >= 2, 'one row per currency');
    const [manifest] = await h.query<{ upstream: { pipeline: string; partition_key: string; run_id: string }[] }>(
      `SELECT upstream FROM meta.partition_runs WHERE pipeline = 'daily_revenue' AND partition_key = '${partition}'`,
    );
    assert.deepEqual(manifest!.upstream, [{ pipeline: 'orders', partition_key: partition, run_id: orders.runId }]);
    // Rows in are the orders it read; the file it read has its row count, like a landed file.
    const [counts] = await h.query<{ rows_in: bigint; file_rows: bigint; published: bigint }>(
      `SELECT r.rows_in, f.rows AS file_rows, (SELECT count(*) FROM showroom.orders WHERE partition_key = '${partition}') AS published
       FROM meta.partition_runs r JOIN meta.ingested_files f USING (run_id) WHERE r.pipeline = 'daily_revenue' AND r.partition_key = '${partition}'`,
    );
    assert.deepEqual([counts!.rows_in, counts!.file_rows], [counts!.published, counts!.published]);
    assert.deepEqual(await h.query('SELECT * FROM meta.stale_partitions'), []);
  });

  it('a republished orders partition marks the daily_revenue partition stale until it is rerun', async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 900, files: 3 });
    const rerun = await run('orders');
    assert.equal((await waitForPartitionRun(rerun)).status, 'succeeded');
    const stale = await h.query<{ pipeline: string; partition_key: string; consumed_run_id: string; published_run_id: string }>(
      'SELECT pipeline, partition_key, consumed_run_id, published_run_id FROM meta.stale_partitions',
    );
    assert.equal(stale.length, 1);
    assert.deepEqual([stale[0]!.pipeline, stale[0]!.partition_key, stale[0]!.published_run_id], ['daily_revenue', partition, rerun.runId]);
    assert.notDeepEqual(await publishedRevenue(), await expectedRevenue(), 'the old aggregates no longer match');

    assert.equal((await waitForPartitionRun(await run('daily_revenue'))).status, 'succeeded');
    assert.deepEqual(await h.query('SELECT * FROM meta.stale_partitions'), []);
    assert.deepEqual(await publishedRevenue(), await expectedRevenue());
  });
});
