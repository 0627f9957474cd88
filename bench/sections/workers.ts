/**
 * The lake has no single writer: a second worker process on the backfill queue takes a share of the
 * partitions. On this 2-core machine it adds no CPU, so the rate shows the overhead of a second
 * process, not a speed-up; on more cores or a second machine it scales.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { addDays } from '../../common/partition-key';
import { partitionWorkflowId } from '../../common/workflow-ids';
import { ordersPipeline } from '../../pipelines/orders/definition';
import { generateOrdersPartition } from '../../pipelines/orders/generate';
import type { BenchContext } from '../context';
import { say, SectionFigures, type Figure } from '../figures';
import { daysFrom } from '../orders';
import { startWorkerProcess, stopWorkerProcess } from '../processes';

export async function measureWorkers(ctx: BenchContext): Promise<Figure[]> {
  const { runs, workersDays, realRows } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'workers');
  say(`4. one and two worker processes: a ${workersDays}-day orders backfill (${realRows} rows per day), concurrency 8`);
  const second = { ...ctx.env, CONVEYOR_WORKER_QUEUES: 'backfill' };
  const logs = [ctx.logFile, path.join(ctx.tmp, `bench-second-worker.log`)];
  let day = 0;
  for (const processes of [1, 2]) {
    const extra = processes === 2 ? await startWorkerProcess('conveyor', second, logs[1]!) : undefined;
    const rates: number[] = [];
    const shares: number[][] = [];
    const failures: number[] = [];
    for (let r = 0; r < runs; r += 1) {
      const days = daysFrom(addDays('2018-01-01', day), workersDays);
      day += workersDays;
      const run = await workersRun(ctx, days);
      rates.push(run.rate);
      failures.push(run.failed);
      shares.push(run.shares);
    }
    const lockErrors = logs.filter((f) => fs.existsSync(f)).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')).filter((l) => /lock/i.test(l)).length;
    const label = `${processes} worker process${processes === 1 ? '' : 'es'}`;
    out.record(`orders backfill with ${label}: throughput`, 'partitions/s', rates);
    out.record(`orders backfill with ${label}: failed partitions`, 'partitions', failures);
    out.record(`orders backfill with ${label}: lock errors in the worker logs`, 'lines', [lockErrors]);
    for (let i = 0; i < processes; i += 1) out.record(`orders backfill with ${label}: share of publishes, process ${i + 1}`, '%', shares.map((s) => s[i] ?? 0));
    if (extra) await stopWorkerProcess(extra);
  }
  return out.figures;
}

/** An orders backfill of `days` at concurrency 8: its rate, failures, and each process's share of the publishes (largest first, %). */
async function workersRun(ctx: BenchContext, days: string[]): Promise<{ rate: number; failed: number; shares: number[] }> {
  for (const d of days) generateOrdersPartition({ landingDir: ctx.config.landingDir, partition: d, rows: ctx.options.realRows, files: 4 });
  const started = performance.now();
  const run = await startBackfill(ctx.client, { pipeline: ordersPipeline.name, from: days[0]!, to: days[days.length - 1]!, maxConcurrency: 8, reprocess: 'all' }, ctx.backfillOptions);
  const result = await run.handle.result();
  const rate = days.length / ((performance.now() - started) / 1000);
  const byIdentity = new Map<string, number>();
  for (const d of days) {
    const identity = await publisherOf(ctx, d);
    byIdentity.set(identity, (byIdentity.get(identity) ?? 0) + 1);
  }
  return { rate, failed: result.failed, shares: [...byIdentity.values()].sort((a, b) => b - a).map((n) => (100 * n) / days.length) };
}

/** Which process published a partition: the identity (pid@host) that started its publish activity, in its history. */
async function publisherOf(ctx: BenchContext, day: string): Promise<string> {
  const history = await ctx.client.workflow.getHandle(partitionWorkflowId(ordersPipeline.name, day)).fetchHistory();
  const events = history.events ?? [];
  const publishScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publish')?.eventId;
  const startedEvent = events.find((e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(publishScheduled));
  return startedEvent?.activityTaskStartedEventAttributes?.identity ?? 'unknown';
}
