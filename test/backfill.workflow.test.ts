/**
 * Backfill workflow tests on a real local Temporal server. The planner and the run manifest are the
 * real activities on a real lake folder (so "missing" and "failed" come from durable records);
 * the work steps are stubs that measure how many partitions are in flight at once.
 */
import { activityDeps } from '../activities/deps';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import {
  cancelBackfill,
  getBackfillStatus,
  pauseBackfill,
  planBackfill,
  resizeBackfill,
  resumeBackfill,
  startBackfill,
  type BackfillRequest,
} from '../client/backfills';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { classifiedFailure } from '../common/failure-classes';
import { addDays } from '../common/partition-key';
import type { StepInput } from '../common/run-types';
import { deploymentRegistry } from '../definitions/registry';
import { parsePartitionWorkflowId, partitionWorkflowId } from '../common/workflow-ids';
import { progressQuery } from '../workflows/backfill-api';
import type { BackfillProgress } from '../workflows/backfill-input';
import type { PartitionFinishedReport } from '../workflows/partition-signals';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, waitFor } from './helpers/bounds';
import { recordFixture, startHarness, type Harness } from './helpers/harness';

const calls = new Map<string, number>();
const active = new Set<string>();
let maxActive = 0;
let stepDelayMs = 0;
const failing = new Set<string>();

let h: Harness;
let real: ReturnType<typeof createActivities>;
const metrics = () => ({ attempt: Context.current().info.attempt, durationMs: 0 });

const stubs = {
  async awaitLanding(input: StepInput) {
    calls.set(input.partition, (calls.get(input.partition) ?? 0) + 1);
    active.add(input.partition);
    maxActive = Math.max(maxActive, active.size);
    await h.gates.wait(input.partition);
    if (stepDelayMs) await sleep(stepDelayMs);
    return { files: 1, bytes: 1, ...metrics() };
  },
  async ingest() {
    return { files: [], staged: { files: [{ path: 'stub', bytes: 1 }] }, bytes: 1, ...metrics() };
  },
  async transform(input: StepInput) {
    if (failing.has(input.partition)) {
      throw classifiedFailure('data', { step: 'transform', message: `1 of 1 rows rejected in ${input.partition}`, details: { attempt: 1 } });
    }
    return { files: [], rowsIn: 1, rowsValid: 1, rowsRejected: 0, rowsDuplicate: 0, rowsOut: 1, staged: 'stub', ...metrics() };
  },
  async publish(input: StepInput) {
    // The planner reads "published" from the partition's file being there.
    const file = h.lake.publishedFile(input.pipeline, input.partition);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Context.current().info.workflowExecution!.runId);
    return { rowsPublished: 1, ...metrics() };
  },
  async recordRun(record: Parameters<typeof real.recordRun>[0]) {
    await real.recordRun(record);
    active.delete(record.partition_key);
  },
  async planBackfillChunk(input: Parameters<typeof real.planBackfillChunk>[0]) {
    return real.planBackfillChunk(input);
  },
  async findClosedRuns(input: Parameters<typeof real.findClosedRuns>[0]) {
    return real.findClosedRuns(input);
  },
};

before(async () => {
  h = await startHarness({ activities: stubs, backfillActivitySlots: 200 });
  real = createActivities(activityDeps(h.config, deploymentRegistry(), h.lake));
}, START_HOOK_OPTIONS);
after(() => h?.stop(), STOP_HOOK_OPTIONS);
// Whatever a test started (backfills, their abandoned children, gated steps) ends with it.
afterEach(() => h?.reset(), STOP_HOOK_OPTIONS);
beforeEach(() => {
  calls.clear();
  active.clear();
  maxActive = 0;
  stepDelayMs = 0;
  failing.clear();
});

const opts = () => ({ config: h.config, registry: h.registry });
const start = (req: Partial<BackfillRequest> & { from: string; to: string }) =>
  startBackfill(h.env.client, { pipeline: 'orders', ...req }, opts());
const progressOf = (run: Awaited<ReturnType<typeof start>>) => run.handle.query(progressQuery);

describe('backfillPipeline', () => {
  // Ten years of days (3,650 partitions) is the bench's run (`npm run bench`, section backfill); here
  // the same property in seconds: continue-as-new many times (every 20 starts) with children still
  // running across each, and every partition still runs exactly once with small histories.
  it('runs 400 daily partitions exactly once each across 20 continue-as-new runs, with small histories per run', { timeout: 180_000 }, async () => {
    const from = '2015-01-01';
    const to = addDays(from, 399);
    const run = await start({ from, to, maxConcurrency: 16, partitionsPerRun: 20 });
    const result: BackfillProgress = await run.handle.result();
    assert.equal(result.state, 'completed');
    assert.equal(result.total, 400);
    assert.equal(result.succeeded, 400);
    assert.equal(result.failed + result.skipped + result.running + result.pending, 0);
    assert.equal(calls.size, 400);
    assert.ok([...calls.values()].every((n) => n === 1), 'every partition ran exactly once');
    assert.ok(maxActive <= 16, `in flight ${maxActive} <= 16`);
    assert.ok(result.runNumber >= 20, `continued as new (${result.runNumber} runs)`);

    let runs = 0;
    for await (const execution of h.env.client.workflow.list({ query: `WorkflowId = '${run.backfillId}'` })) {
      const history = await h.env.client.workflow.getHandle(run.backfillId, execution.runId).fetchHistory();
      assert.ok(history.events!.length < 400, `run ${execution.runId} has ${history.events!.length} events`);
      runs += 1;
    }
    assert.ok(runs >= 20, `${runs} runs listed`);

    const again = await startBackfill(h.env.client, { pipeline: 'orders', from, to, maxConcurrency: 16 }, opts());
    const second = await again.handle.result();
    assert.equal(second.skipped, 400, 'reprocess: missing after a complete backfill starts nothing');
    assert.equal(second.succeeded, 0);
    assert.ok([...calls.values()].every((n) => n === 1));
  });

  it('never exceeds maxConcurrency, and setConcurrency changes the bound at once', { timeout: 120_000 }, async () => {
    stepDelayMs = 100;
    const run = await start({ from: '2025-01-01', to: '2025-03-31', maxConcurrency: 2 });
    await waitFor(() => calls.size >= 10, '10 partitions');
    assert.equal(maxActive, 2);
    assert.equal(await resizeBackfill(h.env.client, run.backfillId, 6), 6);
    await waitFor(() => maxActive === 6, 'six in flight');
    await resizeBackfill(h.env.client, run.backfillId, 1);
    await waitFor(() => active.size <= 1, 'drained down to one');
    maxActive = active.size;
    // Partitions started after the drain (under load the drain may end well past the 50th).
    const drainedAt = calls.size;
    await waitFor(() => calls.size >= Math.min(drainedAt + 10, 90), '10 more partitions');
    assert.ok(calls.size > drainedAt, `partitions kept starting after the resize (${drainedAt} before)`);
    assert.equal(maxActive, 1, 'resized down to 1');
    await resizeBackfill(h.env.client, run.backfillId, 20);
    const result = await run.handle.result();
    await recordFixture(h.env, 'backfill-resized', run.backfillId);
    assert.equal(result.succeeded, 90);
    assert.ok(maxActive <= 20);
    await assert.rejects(resizeBackfill(h.env.client, run.backfillId, 5), /is not running \(it is completed\)/);
  });

  it('pause stops new starts, running ones finish, resume continues', { timeout: 120_000 }, async () => {
    stepDelayMs = 50;
    const run = await start({ from: '2025-04-01', to: '2025-05-30', maxConcurrency: 3 });
    await waitFor(() => calls.size >= 6, 'some partitions');
    await pauseBackfill(h.env.client, run.backfillId);
    await waitFor(async () => (await progressOf(run)).running === 0, 'running partitions to finish');
    const pausedAt = calls.size;
    await sleep(1000);
    assert.equal(calls.size, pausedAt, 'nothing starts while paused');
    assert.equal((await getBackfillStatus(h.env.client, run.backfillId)).state, 'paused');
    await resumeBackfill(h.env.client, run.backfillId);
    const result = await run.handle.result();
    assert.equal(result.succeeded, 60);
    assert.equal(calls.size, 60);
  });

  it('lists failed partitions with reasons, and reprocess: failed reruns only those', { timeout: 120_000 }, async () => {
    for (const p of ['2025-06-03', '2025-06-07']) failing.add(p);
    const run = await start({ from: '2025-06-01', to: '2025-06-10', maxConcurrency: 4 });
    const result = await run.handle.result();
    assert.equal(result.state, 'completed');
    assert.equal(result.failed, 2);
    assert.equal(result.succeeded, 8);
    assert.deepEqual(result.failures.map((f) => f.partition).sort(), ['2025-06-03', '2025-06-07']);
    await recordFixture(h.env, 'backfill-with-failures', run.backfillId);
    for (const f of result.failures) {
      assert.equal(f.failureClass, 'data');
      assert.equal(f.step, 'transform');
      assert.match(f.reason, /rows rejected/);
      assert.ok(f.runId);
    }

    const plan = await planBackfill(h.env.client, { pipeline: 'orders', from: '2025-06-01', to: '2025-06-10', reprocess: 'failed' }, opts());
    assert.deepEqual(plan.partitions.map((p) => p.partition), ['2025-06-03', '2025-06-07']);
    assert.match(plan.partitions[0]!.reason, /last run failed \(data\)/);

    failing.clear();
    calls.clear();
    const rerun = await start({ from: '2025-06-01', to: '2025-06-10', reprocess: 'failed' });
    const fixed = await rerun.handle.result();
    assert.equal(fixed.succeeded, 2);
    assert.equal(fixed.skipped, 8);
    assert.deepEqual([...calls.keys()].sort(), ['2025-06-03', '2025-06-07']);
  });

  it('stops starting partitions after N failures when asked', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 20; i += 1) failing.add(addDays('2025-07-01', i));
    const run = await start({ from: '2025-07-01', to: '2025-07-20', maxConcurrency: 1, stopAfterFailures: 3 });
    const result = await run.handle.result();
    assert.equal(result.state, 'stopped-after-failures');
    assert.equal(result.failed, 3);
    assert.equal(calls.size, 3);
  });

  it('cancel stops new starts and, with cancelRunning, cancels the running children', { timeout: 60_000 }, async () => {
    const releases = Array.from({ length: 10 }, (_, i) => h.gates.hold(addDays('2025-08-01', i)));
    const run = await start({ from: '2025-08-01', to: '2025-08-10', maxConcurrency: 2 });
    await waitFor(() => calls.size === 2, 'two running');
    await cancelBackfill(h.env.client, run.backfillId, { cancelRunning: true });
    const result = await run.handle.result();
    for (const release of releases) release();
    assert.equal(result.state, 'cancelled');
    assert.equal(result.cancelled, 2);
    assert.equal(calls.size, 2, 'nothing new started');
  });

  it('waits for a partition that is already running (its daily run) instead of starting a duplicate', { timeout: 60_000 }, async () => {
    const release = h.gates.hold('2025-09-02');
    const daily = await startPartitionRun(h.env.client, { pipeline: 'orders', partition: '2025-09-02', runKind: 'scheduled' }, opts());
    await waitFor(() => calls.get('2025-09-02') === 1, 'daily run started');
    const run = await start({ from: '2025-09-01', to: '2025-09-03', maxConcurrency: 3 });
    await waitFor(async () => (await progressOf(run)).succeeded === 2, 'the other two partitions');
    assert.equal((await progressOf(run)).running, 1, 'still waiting for the daily run');
    release();
    const result = await run.handle.result();
    assert.equal(result.succeeded, 3);
    assert.equal(calls.get('2025-09-02'), 1, 'the partition ran once, not twice');
    assert.equal((await waitForPartitionRun(daily)).status, 'succeeded');
  });

  it('counts children still running when it continues as new, whether they succeed or fail', { timeout: 60_000 }, async () => {
    const slowOk = '2025-10-01';
    const slowFailing = '2025-10-02';
    const releases = [h.gates.hold(slowOk), h.gates.hold(slowFailing)];
    failing.add(slowFailing);
    const run = await start({ from: '2025-10-01', to: '2025-10-25', maxConcurrency: 3, partitionsPerRun: 10 });
    const firstRunId = (await run.handle.describe()).runId; // the gated children keep it from ending sooner
    // One free slot works through the rest: 10 starts fill the first run, and the next run goes on.
    await waitFor(async () => (await progressOf(run)).runNumber >= 2 && calls.size >= 15, 'a second run');
    assert.equal((await progressOf(run)).running >= 2, true, 'the two gated children outlived their run');
    for (const release of releases) release();
    const result = await run.handle.result();
    assert.equal(result.succeeded, 24);
    assert.equal(result.failed, 1);
    assert.deepEqual(
      result.failures.map((f) => [f.partition, f.failureClass, f.step]),
      [[slowFailing, 'data', 'transform']],
    );
    assert.equal(calls.size, 25);
    await recordFixture(h.env, 'backfill-continued-with-children-running', run.backfillId, firstRunId);
  });

  // The watcher checks every second here, while starts keep going: a partition whose start is still on
  // its way has no run yet and must never be counted by it (it was counted 'not found' once under load).
  it('counts a child of an earlier run that was terminated, instead of waiting for it forever, and nothing else', { timeout: 120_000 }, async () => {
    const stuck = '2025-11-01';
    h.gates.hold(stuck); // its step hangs until the test ends (the harness releases it then)
    const run = await start({ from: '2025-11-01', to: '2025-12-10', maxConcurrency: 4, partitionsPerRun: 10, silentChildCheckSeconds: 1 });
    await waitFor(async () => (await progressOf(run)).runNumber >= 2, 'a second run');
    await h.env.client.workflow.getHandle(partitionWorkflowId('orders', stuck)).terminate('operator gave up on it');
    const result = await run.handle.result();
    assert.deepEqual(result.failures.map((f) => [f.partition, f.reason]), [[stuck, 'the partition run was terminated before it could report']]);
    assert.equal(result.succeeded, 39);
    assert.equal(result.failed, 1);
  });

  it('takes the outcome of a watched run that closed from the run itself: result, failure class, cancellation or termination', { timeout: 60_000 }, async () => {
    failing.add('2025-12-21');
    h.gates.hold('2025-12-22');
    h.gates.hold('2025-12-23');
    const runs = await Promise.all(
      ['2025-12-20', '2025-12-21', '2025-12-22', '2025-12-23'].map((partition) =>
        startPartitionRun(h.env.client, { pipeline: 'orders', partition, runKind: 'manual' }, opts()),
      ),
    );
    await waitFor(() => calls.has('2025-12-22') && calls.has('2025-12-23'), 'the gated runs to reach their step');
    await h.env.client.workflow.getHandle('orders.2025-12-22').cancel();
    await h.env.client.workflow.getHandle('orders.2025-12-23').terminate('operator gave up on it');
    await Promise.all(runs.map((r) => waitForPartitionRun(r).catch(() => undefined)));
    const watched = runs.map((r) => ({ partition: parsePartitionWorkflowId(r.workflowId)!.partition, workflowId: r.workflowId, runId: r.runId }));
    const still = { partition: '2025-12-24', workflowId: 'orders.2025-12-24', runId: '' };
    h.gates.hold('2025-12-24');
    await startPartitionRun(h.env.client, { pipeline: 'orders', partition: '2025-12-24', runKind: 'manual' }, opts());
    const reports: PartitionFinishedReport[] = await new MockActivityEnvironment(undefined, { client: h.env.client }).run(real.findClosedRuns, [...watched, still]);
    assert.deepEqual(
      reports.map((r) => [r.partition, r.status, r.failure?.failureClass, r.failure?.step, r.rowsPublished]),
      [
        ['2025-12-20', 'succeeded', undefined, undefined, 1],
        ['2025-12-21', 'failed', 'data', 'transform', undefined],
        ['2025-12-22', 'cancelled', undefined, undefined, undefined],
        ['2025-12-23', 'failed', 'code', 'workflow', undefined],
      ],
      'the run still running is not reported',
    );
    assert.match(reports[3]!.failure!.reason, /terminated before it could report/);
    assert.deepEqual(reports.map((r) => r.runId), runs.map((r) => r.runId));
  });

  it('refuses unknown backfill ids and controls of a finished backfill in one line', async () => {
    await assert.rejects(getBackfillStatus(h.env.client, 'backfill.nope'), /^InputError: unknown backfill id 'backfill.nope'/);
    await assert.rejects(pauseBackfill(h.env.client, 'orders.2025-09-02'), /unknown backfill id 'orders.2025-09-02'/);
    await assert.rejects(resizeBackfill(h.env.client, 'backfill.nope', 0), /invalid concurrency 0: a whole number from 1 to 200/);
  });

  it('a daily run started during a large backfill finishes without waiting behind it', { timeout: 120_000 }, async () => {
    stepDelayMs = 20;
    const run = await start({ from: '2025-10-01', to: '2026-09-30', maxConcurrency: 8 });
    await waitFor(() => calls.size >= 20, 'backfill under way');
    const daily = await startPartitionRun(h.env.client, { pipeline: 'orders', partition: '2026-10-15', runKind: 'scheduled' }, opts());
    assert.equal((await waitForPartitionRun(daily)).status, 'succeeded');
    const atDailyDone = await progressOf(run);
    assert.ok(atDailyDone.pending > 100, `backfill still far from done (${atDailyDone.pending} pending) when the daily run finished`);
    await cancelBackfill(h.env.client, run.backfillId, { cancelRunning: false });
    assert.equal((await run.handle.result()).state, 'cancelled');
  });
});

