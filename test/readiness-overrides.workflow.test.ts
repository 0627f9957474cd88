/**
 * Event-driven readiness and operators' overrides on a real local Temporal server, real activities
 * and a real lake: a notify ends a wait at once (the wait holds no worker slot), the polling sensor
 * stays the fallback and still ends as a dependency failure naming what it waited for; force, skip
 * and rerun each take a reason and are recorded (who, when, why) where `npx conveyor sql` reads them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { planBackfill, startBackfill } from '../client/backfills';
import { forcePartition, notifyLanded, rerunPartition, skipPartition } from '../client/overrides';
import { startPartitionRun, waitForPartitionRun, type PartitionRun } from '../client/partition-runs';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { definePipeline } from '../definitions/definition';
import { deploymentRegistry, PipelineRegistry } from '../definitions/registry';
import { recordFixture, startHarness, withReadiness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';

let h: Harness;
before(async () => {
  // orders polls for its data once an hour: only a notify or a force can end its wait soon.
  const base = withReadiness(deploymentRegistry(), { orders: { pollIntervalSeconds: 3600, timeoutSeconds: 7200 } });
  // The same pipeline with a 3 s readiness deadline.
  const quick = definePipeline({ ...base.get('orders'), name: 'orders_quick', readiness: { pollIntervalSeconds: 1, timeoutSeconds: 3 } });
  h = await startHarness({ registry: new PipelineRegistry([...base.all(), quick]) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

const options = () => ({ config: h.config, registry: h.registry });
/** A run that polls for its data only once an hour: only a notify or a force can end its wait soon. */
const slowPollingRun = (partition: string) =>
  startPartitionRun(h.env.client, { pipeline: 'orders', partition }, options());

/** Wait until the run's sensor is between polls: its readiness activity scheduled, not running on a worker. */
async function waitingBetweenPolls(run: PartitionRun): Promise<{ state: string; attempt: number }> {
  for (let i = 0; i < 100; i += 1) {
    const pending = (await run.handle.describe()).raw.pendingActivities?.[0];
    if (pending && (pending.attempt ?? 0) >= 2) return { state: String(pending.state), attempt: pending.attempt ?? 0 };
    await sleep(100);
  }
  throw new Error('the run never started polling');
}

describe('readiness: events first, polling as the fallback', () => {
  it('a notify ends the wait at once; while waiting, no worker slot is held', async () => {
    const partition = '2024-05-01';
    const run = await slowPollingRun(partition);
    const between = await waitingBetweenPolls(run);
    // SCHEDULED (1): waiting for its next attempt on the server, not STARTED (2) on a worker.
    assert.equal(between.state, '1', 'the sensor waits on the server, not in a worker slot');
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 30, files: 1 });
    const notifiedAt = Date.now();
    const notified = await notifyLanded(h.env.client, { pipeline: 'orders', partition, by: 'vendor-feed' }, options());
    assert.deepEqual([notified.started, notified.runId], [false, run.runId], 'the notify woke the waiting run');
    const outcome = await waitForPartitionRun(run);
    assert.equal(outcome.status, 'succeeded');
    assert.ok(Date.now() - notifiedAt < 15_000, `went on within seconds of the notify (${Date.now() - notifiedAt} ms), not at the next hourly poll`);
    await recordFixture(h.env, 'readiness-notified', run.workflowId, run.runId);
  });

  it('a notify with no run going starts one (RunKind event)', async () => {
    const partition = '2024-05-02';
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 30, files: 1 });
    const notified = await notifyLanded(h.env.client, { pipeline: 'orders', partition }, options());
    assert.equal(notified.started, true);
    const handle = h.env.client.workflow.getHandle(notified.workflowId, notified.runId);
    assert.equal((await handle.result() as { runKind: string }).runKind, 'event');
  });

  it('without data, the readiness deadline still ends as a dependency failure naming what it waited for', async () => {
    const run = await startPartitionRun(h.env.client, { pipeline: 'orders_quick', partition: '2024-05-03' }, options());
    const outcome = await waitForPartitionRun(run);
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.equal(outcome.failure.failureClass, 'dependency');
    assert.match(outcome.failure.reason, /^data did not land within the readiness deadline \(3 s\): orders_quick\/2024-05-03 not ready: no _SUCCESS marker in .*orders_quick\/date=2024-05-03$/);
  });
});

describe('overrides, with an audit trail', () => {
  it('force pushes a waiting run past its readiness wait, and records who, when and why', async () => {
    const partition = '2024-06-01';
    // The files landed, but the upstream system never wrote its marker.
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 30, files: 1, faults: ['no-marker'] });
    const run = await slowPollingRun(partition);
    await waitingBetweenPolls(run);
    await assert.rejects(forcePartition(h.env.client, { pipeline: 'orders', partition, reason: '' }, options()), /--reason is required/);
    await forcePartition(h.env.client, { pipeline: 'orders', partition, reason: 'vendor confirmed the drop is complete (INC-7)', by: 'alice' }, options());
    const forced = await waitForPartitionRun(run);
    assert.equal(forced.status, 'succeeded', JSON.stringify(forced));
    await recordFixture(h.env, 'readiness-forced', run.workflowId, run.runId);
    const [manifest] = await h.query<{ overrides: { kind: string; reason: string; requested_by: string }[] }>(
      `SELECT overrides FROM meta.partition_runs WHERE partition_key = '${partition}'`,
    );
    assert.deepEqual(manifest!.overrides.map((o) => [o.kind, o.requested_by, o.reason]), [['force', 'alice', 'vendor confirmed the drop is complete (INC-7)']]);
    const audit = await h.query<{ kind: string; requested_by: string; run_id: string }>(`SELECT kind, requested_by, run_id FROM meta.overrides WHERE partition_key = '${partition}'`);
    assert.deepEqual(audit, [{ kind: 'force', requested_by: 'alice', run_id: run.runId }]);
    await assert.rejects(forcePartition(h.env.client, { pipeline: 'orders', partition, reason: 'again' }, options()), /is not running, so there is no wait to force/);
  });

  it('a skipped partition is shown as skipped in a backfill plan and not run; a rerun clears the skip', async () => {
    const days = ['2024-07-01', '2024-07-02', '2024-07-03'];
    for (const d of days) generateOrdersPartition({ landingDir: h.config.landingDir, partition: d, rows: 20, files: 1 });
    await skipPartition(h.env.client, { pipeline: 'orders', partition: '2024-07-02', reason: 'store closed, no sales expected', by: 'bob' }, options());
    const request = { pipeline: 'orders', from: days[0]!, to: days[2]! };
    const plan = await planBackfill(h.env.client, request, options());
    assert.deepEqual(plan.partitions.map((p) => p.partition), ['2024-07-01', '2024-07-03']);
    assert.equal(plan.waived.length, 1);
    assert.match(plan.waived[0]!.reason, /^waived by bob at .*: store closed, no sales expected$/);
    const backfill = await startBackfill(h.env.client, request, options());
    const result = await backfill.handle.result();
    assert.equal(result.succeeded, 2);
    const published = await h.query<{ p: string }>("SELECT DISTINCT partition_key AS p FROM showroom.orders WHERE partition_key LIKE '2024-07-%' ORDER BY 1");
    assert.deepEqual(published.map((r) => r.p), ['2024-07-01', '2024-07-03']);

    const rerun = await rerunPartition(h.env.client, { pipeline: 'orders', partition: '2024-07-02', reason: 'late sales arrived after all', by: 'bob' }, options());
    assert.equal((await waitForPartitionRun(rerun)).status, 'succeeded');
    assert.deepEqual((await planBackfill(h.env.client, { ...request, reprocess: 'all' }, options())).waived, [], 'the rerun cleared the skip');
    const audit = await h.query<{ kind: string; reason: string }>("SELECT kind, reason FROM meta.overrides WHERE partition_key = '2024-07-02' ORDER BY requested_at");
    assert.deepEqual(audit.map((a) => a.kind), ['skip', 'rerun']);
    const [manifest] = await h.query<{ run_kind: string; kinds: string[] }>(
      `SELECT run_kind, list_transform(overrides, o -> o.kind) AS kinds FROM meta.partition_runs WHERE run_id = '${rerun.runId}'`,
    );
    assert.deepEqual(manifest, { run_kind: 'manual', kinds: ['rerun'] });
  });
});
