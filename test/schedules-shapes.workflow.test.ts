/**
 * Schedules follow each pipeline's cadence, on a real local Temporal server with real activities:
 * hourly at :MM, weekly on a weekday, monthly on a day of the month, a static set daily; catch-up
 * after an outage (the Schedules backfill API stands in for time passing) runs exactly the missed
 * hours, each keyed by its scheduled time; a static set's scheduled run processes every key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { applySchedules, listSchedules } from '../client/schedules';
import { scheduleIdOf } from '../common/workflow-ids';
import { generator as clickstreamGenerator } from '../pipelines/clickstream/generate';
import { clickstreamPipeline } from '../pipelines/clickstream/definition';
import { definePipeline, sqlOf } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';
import { PipelineRegistry } from '../definitions/registry';
import { partitionLandingDir } from '../sources/files';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, workflowsWhere as workflowsWhereIn, type Harness } from './helpers/harness';

const fast = { pollIntervalSeconds: 1, timeoutSeconds: 60 };
const clickstream = definePipeline({ ...clickstreamPipeline, readiness: fast });
const regions = definePipeline({
  ...ordersPipeline,
  name: 'regions',
  partitions: { kind: 'static', keys: ['eu', 'us'] },
  schedule: { at: '04:00', catchupWindowDays: 1, overlap: 'allow_all' },
  source: { kind: 'files', format: 'csv', filePattern: /^part-\d+\.csv$/, columns: ['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status'], marker: '_SUCCESS' },
  transform: { kind: 'sql', sql: sqlOf(ordersPipeline).replace(/WHEN ordered_at < \$partition_start.*\n.*\n/, '') },
  readiness: fast,
});
const weekly = definePipeline({ ...ordersPipeline, name: 'weekly_feed', partitions: { kind: 'weekly', first: '2015-W01', lag: 1 }, schedule: { at: 'mon 05:00', catchupWindowDays: 14, overlap: 'allow_all' } });
const monthly = definePipeline({ ...ordersPipeline, name: 'monthly_feed', partitions: { kind: 'monthly', first: '2015-01', lag: 1 }, schedule: { at: '1 04:00', catchupWindowDays: 31, overlap: 'allow_all' } });

let h: Harness;
before(async () => {
  h = await startHarness({ registry: new PipelineRegistry([clickstream, regions, weekly, monthly]) });
}, START_HOOK_OPTIONS);
after(() => h?.stop(), STOP_HOOK_OPTIONS);
afterEach(() => h?.reset(), STOP_HOOK_OPTIONS);

const workflowsWhere = (query: string, want: number) => workflowsWhereIn(h.env, query, want);

describe('schedules of every cadence', () => {
  it('each schedule follows its cadence: hourly at :MM, weekly on its weekday, monthly on its day, a static set daily', async () => {
    await applySchedules(h.env.client, { config: h.config, registry: h.registry });
    const specs = (await listSchedules(h.env.client)).filter((s) => s.kind === 'partitions').map((s) => [s.pipeline, s.spec]);
    assert.deepEqual(specs, [
      ['clickstream', 'hourly at :10'],
      ['monthly_feed', 'monthly on day 1 at 04:00 UTC'],
      ['regions', 'every key daily at 04:00 UTC'],
      ['weekly_feed', 'weekly on mon at 05:00 UTC'],
    ]);
    const next = (await listSchedules(h.env.client)).find((s) => s.pipeline === 'weekly_feed')!.nextRuns.map((t) => new Date(t));
    assert.ok(next.every((t) => t.getUTCDay() === 1 && t.getUTCHours() === 5), `weekly runs on Mondays at 05:00: ${next.map((t) => t.toISOString())}`);
    const hourly = (await listSchedules(h.env.client)).find((s) => s.pipeline === 'clickstream')!.nextRuns.map((t) => Date.parse(t));
    assert.deepEqual(hourly.slice(1).map((t, i) => t - hourly[i]!), [3_600_000, 3_600_000], 'hourly runs an hour apart');
    assert.ok(hourly.every((t) => new Date(t).getUTCMinutes() === 10));
  });

  it('hourly catch-up after an outage runs exactly the missed hours, each keyed by its scheduled time', { timeout: 120_000 }, async () => {
    const hours = ['2024-03-01T04', '2024-03-01T05', '2024-03-01T06'];
    for (const hour of hours) clickstreamGenerator.generate({ landingDir: h.config.landingDir, partition: hour, rows: 20 });
    // Down from 05:00 to 07:30: the runs due at 05:10, 06:10 and 07:10 are made up, each processing the hour before.
    await h.env.client.schedule.getHandle(scheduleIdOf('clickstream')).backfill({
      start: new Date('2024-03-01T05:00:00Z'),
      end: new Date('2024-03-01T07:30:00Z'),
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
    });
    const scheduled = await workflowsWhere('WorkflowType = "scheduledPartition" AND Pipeline = "clickstream"', 3);
    assert.deepEqual(scheduled.map((w) => [w.workflowId, w.status]), [
      ['clickstream.scheduled-2024-03-01T05:10:00Z', 'COMPLETED'],
      ['clickstream.scheduled-2024-03-01T06:10:00Z', 'COMPLETED'],
      ['clickstream.scheduled-2024-03-01T07:10:00Z', 'COMPLETED'],
    ]);
    const runs = await workflowsWhere('WorkflowType = "partitionPipeline" AND Pipeline = "clickstream"', 3);
    assert.deepEqual(runs.map((w) => [w.workflowId, w.status]), hours.map((hour) => [`clickstream.${hour}`, 'COMPLETED']));
    const published = await h.query<{ p: string }>(`SELECT DISTINCT partition_key AS p FROM showroom.clickstream ORDER BY 1`);
    assert.deepEqual(published.map((r) => r.p), hours);
  });

  it('a static set\'s scheduled run processes every key', { timeout: 120_000 }, async () => {
    for (const key of ['eu', 'us']) {
      const dir = partitionLandingDir(h.config.landingDir, regions, key);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'part-0000.csv'), `order_id,customer_id,ordered_at,amount,currency,status\n${key}-1,C1,2024-03-01T10:00:00,9.50,EUR,paid\n`);
      fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
    }
    await h.env.client.schedule.getHandle(scheduleIdOf('regions')).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    const runs = await workflowsWhere('WorkflowType = "partitionPipeline" AND Pipeline = "regions"', 2);
    assert.deepEqual(runs.map((w) => [w.workflowId, w.status]), [['regions.eu', 'COMPLETED'], ['regions.us', 'COMPLETED']]);
    const [scheduled] = await workflowsWhere('WorkflowType = "scheduledPartition" AND Pipeline = "regions"', 1);
    assert.equal(scheduled!.status, 'COMPLETED');
  });
});
