/**
 * Workflow tests: the real workflow on a real local Temporal server, with stubbed activities
 * that count their calls. Also records histories as replay fixtures (see replay.test.ts).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import { STEP_NAMES } from '../common/run-contract';
import { runRecordSchema, type UnfinishedRunRecord } from '../common/run-record';
import type { PublishInput, StepInput, TransformInput } from '../common/run-types';
import { recordFixture, startHarness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';


/** Per-partition behaviour of the stubbed ingest step: fail N times with a class (a held gate blocks it: h.gates). */
const behaviour = new Map<string, { failClass?: FailureClass; failTimes?: number; notLandedChecks?: number; landedBytes?: number }>();
const calls = new Map<string, number>();
const manifests: UnfinishedRunRecord[] = [];

const count = (step: string, partition: string) => calls.get(`${step}:${partition}`) ?? 0;
const metrics = () => ({ attempt: Context.current().info.attempt, durationMs: 1 });

const stubs = {
  async awaitLanding(input: StepInput) {
    calls.set(`awaitLanding:${input.partition}`, count('awaitLanding', input.partition) + 1);
    if (count('awaitLanding', input.partition) <= (behaviour.get(input.partition)?.notLandedChecks ?? 0)) {
      throw classifiedFailure('dependency', { step: 'awaitLanding', message: 'stubbed: not landed yet', retryAfterSeconds: 1, details: { attempt: Context.current().info.attempt } });
    }
    return { files: 1, bytes: behaviour.get(input.partition)?.landedBytes ?? 10, ...metrics() };
  },
  async ingest(input: StepInput) {
    calls.set(`ingest:${input.partition}`, count('ingest', input.partition) + 1);
    const b = behaviour.get(input.partition) ?? {};
    await h.gates.wait(input.partition);
    if (b.failClass && count('ingest', input.partition) <= (b.failTimes ?? Infinity)) {
      throw classifiedFailure(b.failClass, { step: 'ingest', message: `stubbed ${b.failClass} failure`, details: { attempt: Context.current().info.attempt } });
    }
    return { files: [], staged: { files: [{ path: 'staged/raw', bytes: 10 }] }, bytes: 1, ...metrics() };
  },
  async transform(input: TransformInput) {
    calls.set(`transform:${input.partition}`, count('transform', input.partition) + 1);
    assert.deepEqual(input.ingested, { files: [{ path: 'staged/raw', bytes: 10 }] }, 'transform reads what ingest staged');
    return { files: [], rowsIn: 10, rowsValid: 10, rowsRejected: 0, rowsDuplicate: 0, rowsOut: 10, staged: 'staged/clean', ...metrics() };
  },
  async publish(input: PublishInput) {
    calls.set(`publish:${input.partition}`, count('publish', input.partition) + 1);
    assert.equal(input.clean, 'staged/clean', 'publish commits what transform staged');
    return { rowsPublished: 10, ...metrics() };
  },
  async recordRun(record: UnfinishedRunRecord) {
    // What the workflow hands recordRun is a run record but its finish time, as the schema says.
    manifests.push(runRecordSchema.omit({ finished_at: true }).strict().parse(record));
  },
};

let h: Harness;
before(async () => {
  h = await startHarness({ activities: stubs });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);
afterEach(() => h?.reset(), STOP_HOOK_OPTIONS);

async function runPartition(partition: string) {
  const run = await startPartitionRun(h.env.client, { pipeline: 'orders', partition, runKind: 'scheduled' }, { config: h.config, registry: h.registry });
  return { run, outcome: await waitForPartitionRun(run) };
}

/** The work steps in a run's history: those run as local activities, and the activities with their heartbeat timeouts (s). */
async function workSteps(workflowId: string, runId: string): Promise<{ local: string[]; activities: [string, number][] }> {
  const { events } = await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const work = (name: string | null | undefined) => ['ingest', 'transform', 'publish'].includes(name ?? '');
  const local = (events ?? [])
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => localActivityType(e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data))
    .filter((name): name is string => work(name));
  const activities = (events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a && work(a.activityType?.name))
    .map((a) => [a!.activityType!.name!, Number(a!.heartbeatTimeout?.seconds ?? 0)] as [string, number]);
  return { local, activities };
}

/** The activity type a local activity marker names (its `data` payload holds the JSON of the marker's data). */
function localActivityType(data: Uint8Array | null | undefined): string | undefined {
  if (!data) return undefined;
  return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type;
}

describe('partitionPipeline workflow (stubbed activities)', () => {
  it('runs the steps in order, once each, and records a succeeded manifest', async () => {
    const { run, outcome } = await runPartition('2023-05-01');
    assert.equal(outcome.status, 'succeeded');
    for (const step of STEP_NAMES) assert.equal(count(step, '2023-05-01'), 1, step);
    const manifest = manifests.find((m) => m.run_id === run.runId);
    assert.equal(manifest?.status, 'succeeded');
    assert.equal(manifest?.rows_published, 10);
    // A small partition: ingest and transform are local activities (markers, no task-queue round
    // trip); publish, the lake's commit, is an activity with a heartbeat timeout.
    const steps = await workSteps(run.workflowId, run.runId);
    assert.deepEqual(steps, { local: ['ingest', 'transform'], activities: [['publish', 20]] });
    await recordFixture(h.env, 'succeeded', run.workflowId, run.runId);
  });

  it('runs every work step of a partition at or above steps.localBelowBytes as an activity with a heartbeat timeout', async () => {
    const orders = h.registry.get('orders');
    behaviour.set('2023-05-19', { landedBytes: orders.steps.localBelowBytes });
    const { run, outcome } = await runPartition('2023-05-19');
    assert.equal(outcome.status, 'succeeded');
    for (const step of ['ingest', 'transform', 'publish']) assert.equal(count(step, '2023-05-19'), 1, step);
    // A lost worker's step is retried within seconds (its heartbeat timeout), not after its start-to-close timeout.
    const steps = await workSteps(run.workflowId, run.runId);
    assert.deepEqual(steps, { local: [], activities: [['ingest', 20], ['transform', 20], ['publish', 20]] });
    await recordFixture(h.env, 'succeeded-large', run.workflowId, run.runId);
  });

  it('retries transient failures with backoff and reports the attempt that succeeded', async () => {
    behaviour.set('2023-05-02', { failClass: 'transient', failTimes: 2 });
    const { run, outcome } = await runPartition('2023-05-02');
    assert.equal(outcome.status, 'succeeded');
    assert.equal(count('ingest', '2023-05-02'), 3);
    if (outcome.status === 'succeeded') assert.equal(outcome.result.attempts.ingest, 3);
    await recordFixture(h.env, 'transient-retried', run.workflowId, run.runId);
  });

  it('checks readiness once locally, then polls by activity until the data lands', async () => {
    behaviour.set('2023-05-06', { notLandedChecks: 2 });
    const { run, outcome } = await runPartition('2023-05-06');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.equal(count('awaitLanding', '2023-05-06'), 3, 'one local check, then two polls');
    if (outcome.status === 'succeeded') assert.equal(outcome.result.attempts.awaitLanding, 3);
    const history = await h.env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitLanding');
    assert.equal(scheduled.length, 1, 'the polls are retries of one activity, not new history events');
    await recordFixture(h.env, 'readiness-polled', run.workflowId, run.runId);
  });

  for (const failClass of ['data', 'code'] as const) {
    it(`never retries a ${failClass} failure and stops the partition there`, async () => {
      const partition = failClass === 'data' ? '2023-05-03' : '2023-05-04';
      behaviour.set(partition, { failClass });
      const { run, outcome } = await runPartition(partition);
      assert.equal(outcome.status, 'failed');
      assert.equal(count('ingest', partition), 1, 'exactly one attempt');
      assert.equal(count('transform', partition), 0, 'later steps never run');
      if (outcome.status === 'failed') {
        assert.equal(outcome.failure.failureClass, failClass);
        assert.equal(outcome.failure.step, 'ingest');
        assert.match(outcome.message, new RegExp(`failed at ingest \\(${failClass} failure\\): stubbed`));
      }
      const manifest = manifests.find((m) => m.run_id === run.runId);
      assert.equal(manifest?.status, 'failed');
      assert.equal(manifest?.failure_class, failClass);
      assert.equal(manifest?.failure_step, 'ingest');
      if (failClass === 'data') await recordFixture(h.env, 'data-failed', run.workflowId, run.runId);
    });
  }

  it('starting a partition that is already running attaches to that run', async () => {
    const release = h.gates.hold('2023-05-05');
    const opts = { config: h.config, registry: h.registry };
    const first = await startPartitionRun(h.env.client, { pipeline: 'orders', partition: '2023-05-05', runKind: 'scheduled' }, opts);
    const second = await startPartitionRun(h.env.client, { pipeline: 'orders', partition: '2023-05-05', runKind: 'manual' }, opts);
    assert.equal(first.attached, false);
    assert.equal(second.attached, true);
    assert.equal(second.runId, first.runId);
    release();
    assert.equal((await waitForPartitionRun(second)).status, 'succeeded');
    assert.equal(count('ingest', '2023-05-05'), 1, 'the partition ran once');
  });

  it('rejects invalid workflow input started outside the client, as a code failure', async () => {
    const handle = await h.env.client.workflow.start('partitionPipeline', {
      workflowId: 'orders.not-a-date',
      taskQueue: h.config.taskQueue,
      args: [{ pipeline: 'orders', partition: '2023-02-30/x', runKind: 'manual' }],
    });
    await assert.rejects(handle.result(), (err: Error & { cause?: { message: string; type?: string } }) => {
      assert.match(err.cause?.message ?? '', /invalid partition="2023-02-30\/x": a partition key \(letters, digits, - and _/);
      assert.equal(err.cause?.type, 'CodeFailure');
      return true;
    });
  });

  it("refuses an input carrying the pipeline's settings in one line: a run takes them from the definition", async () => {
    const handle = await h.env.client.workflow.start('partitionPipeline', {
      workflowId: 'orders.2023-05-09',
      taskQueue: h.config.taskQueue,
      args: [{ pipeline: 'orders', partition: '2023-05-09', runKind: 'manual', readiness: { pollIntervalSeconds: 1, timeoutSeconds: 1 }, steps: { timeoutSeconds: 1, maxAttempts: 1 } }],
    });
    await assert.rejects(handle.result(), (err: Error & { cause?: { message: string; type?: string } }) => {
      assert.equal(err.cause?.message, "invalid input: unknown field 'readiness', 'steps' (allowed: pipeline, partition, runKind, backfillId, override)");
      assert.equal(err.cause?.type, 'CodeFailure');
      return true;
    });
    assert.equal(count('awaitLanding', '2023-05-09'), 0, 'no step ran');
  });

  it('a run started with only a pipeline and a partition takes everything else from the definition', async () => {
    const result = await h.env.client.workflow.execute('partitionPipeline', { workflowId: 'orders.2023-05-10', taskQueue: h.config.taskQueue, args: [{ pipeline: 'orders', partition: '2023-05-10' }] });
    assert.deepEqual([result.status, result.runKind], ['succeeded', 'manual']);
  });
});
