/**
 * Schedules on a real local Temporal server with real activities: applying is idempotent and follows
 * the definitions; runs made up after an outage (the Schedules backfill API stands in for time
 * passing) process exactly the missed partitions, each under its own partition workflow ID; a
 * scheduled run that meets a running partition attaches to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { applySchedules, desiredSchedule, listSchedules, monitorScheduleNote, pauseSchedule, scheduleNote, unpauseSchedule } from '../client/schedules';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { scheduleIdOf } from '../common/workflow-ids';
import { definePipeline } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { PipelineRegistry } from '../definitions/registry';
import { recordFixture, startHarness, workflowsWhere as workflowsWhereIn, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, waitFor } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

// Readiness polled every second, so a run waiting for data notices it quickly.
const orders = definePipeline({ ...ordersPipeline, readiness: { ...ordersPipeline.readiness, pollIntervalSeconds: 1 } });
const other = definePipeline({ ...orders, name: 'other_feed', schedule: { ...orders.schedule, at: '05:30' } });
let h: Harness;

before(async () => {
  h = await startHarness({ registry: new PipelineRegistry([orders]) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

const workflowsWhere = (query: string, want: number) => workflowsWhereIn(h.env, query, want);

describe('schedules', () => {
  it('apply creates one schedule per pipeline; twice changes nothing; a changed or removed definition updates or deletes it', async () => {
    const client = h.env.client;
    const options = { config: h.config, registry: h.registry };
    const both = new PipelineRegistry([orders, other]);
    assert.deepEqual(await applySchedules(client, { ...options, registry: both }), { created: ['conveyor-orders', 'conveyor-orders-monitor', 'conveyor-other_feed', 'conveyor-other_feed-monitor'], updated: [], unchanged: [], deleted: [] });
    // Listing schedules reads visibility, which may lag a moment behind the creates.
    await waitFor(async () => (await listSchedules(client)).length === 4, 'the four schedules to be listed');
    const first = await listSchedules(client);
    assert.deepEqual(await applySchedules(client, { ...options, registry: both }), { created: [], updated: [], unchanged: ['conveyor-orders', 'conveyor-orders-monitor', 'conveyor-other_feed', 'conveyor-other_feed-monitor'], deleted: [] });
    assert.deepEqual(await listSchedules(client), first, 'the second apply left the schedules as they were');
    assert.deepEqual(first.map((s) => [s.scheduleId, s.pipeline, s.kind, s.spec]), [
      ['conveyor-orders', 'orders', 'partitions', 'daily at 02:00 UTC'],
      ['conveyor-orders-monitor', 'orders', 'monitor', 'every 5 min'],
      ['conveyor-other_feed', 'other_feed', 'partitions', 'daily at 05:30 UTC'],
      ['conveyor-other_feed-monitor', 'other_feed', 'monitor', 'every 5 min'],
    ]);
    assert.equal(first[0]!.note, scheduleNote(orders));
    assert.equal(first[1]!.note, monitorScheduleNote(orders));

    // Paused during an incident: a changed definition updates the schedule, which stays paused.
    const note = await pauseSchedule(client, 'other_feed', { reason: 'vendor outage INC-42', by: 'alice' }, both);
    assert.match(note, /^Paused by alice at \d{4}-\d{2}-\d{2}T.*: vendor outage INC-42$/);
    await assert.rejects(pauseSchedule(client, 'other_feed', { reason: ' ' }, both), /--reason is required/);
    const moved = new PipelineRegistry([orders, definePipeline({ ...other, schedule: { ...other.schedule, at: '06:00' } })]);
    assert.deepEqual(await applySchedules(client, { ...options, registry: moved }), { created: [], updated: ['conveyor-other_feed'], unchanged: ['conveyor-orders', 'conveyor-orders-monitor', 'conveyor-other_feed-monitor'], deleted: [] });
    const updated = (await listSchedules(client)).find((s) => s.pipeline === 'other_feed')!;
    assert.deepEqual([updated.spec, updated.paused, updated.note], ['daily at 06:00 UTC', true, note]);
    await unpauseSchedule(client, 'other_feed', { by: 'alice' }, moved);
    assert.match((await listSchedules(client)).find((s) => s.pipeline === 'other_feed')!.note, /Unpaused by alice at/);

    // Another deployment's schedule in the namespace (its own task queue) is not ours to delete.
    await client.schedule.create({ ...desiredSchedule(other, { config: { taskQueue: 'someone-else' } }).options, scheduleId: 'conveyor-foreign' });
    assert.deepEqual(await applySchedules(client, { ...options, registry: h.registry }), { created: [], updated: [], unchanged: ['conveyor-orders', 'conveyor-orders-monitor'], deleted: ['conveyor-other_feed', 'conveyor-other_feed-monitor'] });
    assert.deepEqual((await listSchedules(client)).map((s) => s.scheduleId), ['conveyor-foreign', 'conveyor-orders', 'conveyor-orders-monitor']);
    await client.schedule.getHandle('conveyor-foreign').delete();
  });

  it('catch-up after an outage runs exactly the missed partitions, keyed by scheduled time, each under its own workflow ID', async () => {
    await applySchedules(h.env.client, { config: h.config, registry: h.registry });
    const days = ['2024-03-01', '2024-03-02', '2024-03-03'];
    for (const d of days) generateOrdersPartition({ landingDir: h.config.landingDir, partition: d, rows: 50, files: 1 });
    // The server was down from 2024-03-01 12:00 to 2024-03-04 12:00: the runs scheduled for 03-02,
    // 03-03 and 03-04 at 02:00 are made up, and each processes the day before its scheduled time.
    await h.env.client.schedule.getHandle(scheduleIdOf('orders')).backfill({
      start: new Date('2024-03-01T12:00:00Z'),
      end: new Date('2024-03-04T12:00:00Z'),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    const scheduled = await workflowsWhere('WorkflowType = "scheduledPartition" AND Pipeline = "orders"', 3);
    assert.deepEqual(scheduled.map((w) => [w.workflowId, w.status]), [
      ['orders.scheduled-2024-03-02T02:00:00Z', 'COMPLETED'],
      ['orders.scheduled-2024-03-03T02:00:00Z', 'COMPLETED'],
      ['orders.scheduled-2024-03-04T02:00:00Z', 'COMPLETED'],
    ]);
    const partitions = await workflowsWhere('WorkflowType = "partitionPipeline" AND RunKind = "scheduled"', 3);
    assert.deepEqual(partitions.map((w) => [w.workflowId, w.status]), days.map((d) => [`orders.${d}`, 'COMPLETED']));
    await recordFixture(h.env, 'scheduled-run', 'orders.scheduled-2024-03-02T02:00:00Z');
    const published = await h.query<{ p: string; n: bigint }>('SELECT partition_key AS p, count(*) AS n FROM showroom.orders GROUP BY ALL ORDER BY 1');
    assert.deepEqual(published.map((r) => r.p), days);
  });

  it('a scheduled run that meets its partition running attaches to that run instead of running it twice', async () => {
    const partition = '2024-04-01';
    // A manual run already waits for the partition's data.
    const manual = await startPartitionRun(h.env.client, { pipeline: 'orders', partition, requireLandedData: false }, { config: h.config, registry: h.registry });
    await h.env.client.schedule.getHandle(scheduleIdOf('orders')).backfill({
      start: new Date('2024-04-02T01:00:00Z'),
      end: new Date('2024-04-02T03:00:00Z'),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    const scheduledId = 'orders.scheduled-2024-04-02T02:00:00Z';
    for (let i = 0; i < 100 && !h.logLines.some((l) => l.msg === 'partition already running; attaching to that run'); i += 1) await sleep(100);
    assert.ok(h.logLines.some((l) => l.msg === 'partition already running; attaching to that run' && l.partition === partition), 'the scheduled run attached');
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows: 40, files: 1 });
    const outcome = await waitForPartitionRun(manual);
    assert.equal(outcome.status, 'succeeded');
    const [report] = (await h.env.client.workflow.getHandle(scheduledId).result()) as { status: string; runId: string; rowsPublished: number }[];
    assert.deepEqual([report!.status, report!.runId], ['succeeded', manual.runId], 'the scheduled run ended as the partition run it attached to');
    await recordFixture(h.env, 'scheduled-run-attached', scheduledId);
    const runs = await workflowsWhere(`WorkflowId = "orders.${partition}"`, 1);
    assert.equal(runs.length, 1, 'the partition ran once');
  });

  it('a scheduled run whose partition fails ends failed with the partition class, step and reason', async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-08-01', rows: 200, files: 1, faults: ['malformed'] });
    await h.env.client.schedule.getHandle(scheduleIdOf('orders')).backfill({
      start: new Date('2024-08-02T01:00:00Z'),
      end: new Date('2024-08-02T03:00:00Z'),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    await workflowsWhere('WorkflowId = "orders.scheduled-2024-08-02T02:00:00Z"', 1);
    await assert.rejects(h.env.client.workflow.getHandle('orders.scheduled-2024-08-02T02:00:00Z').result(), (err: Error) => {
      assert.match(String((err.cause as Error | undefined)?.message), /^orders\.2024-08-01 failed at transform \(data\): /);
      return true;
    });
  });
});
