/**
 * The no-op runs several sections of `npm run bench` are made of: the ceiling's bare workflows, and
 * backfills of the no-op pipelines (bench/pipelines.ts) over ranges that never overlap, so every
 * backfill does real work. Each is timed, with the CPU of each process per workflow or partition.
 */
import { randomUUID } from 'node:crypto';
import { startBackfill } from '../client/backfills';
import { addDays } from '../common/partition-key';
import type { BenchContext } from './context';
import type { CpuOf } from './figures';
import { cpuMeter, percentile } from './measure';
import { benchNoopPipeline } from './pipelines';

const CEILING_TASK_QUEUE = 'bench-ceiling'; // must match bench/worker.ts

/** CPU per workflow or partition, in ms, by process. */
export type CpuMs = Partial<Record<CpuOf, number>>;

export interface NoopBackfillRun {
  seconds: number;
  rate: number;
  backfillId: string;
  peakRssMb: number;
  cpuMs: CpuMs;
}

/** Run `fn` over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export class NoopRuns {
  private nextDay = 0; // bench_noop ranges never overlap, so every backfill does real work
  private nextHour = 0; // bench_noop_hourly ranges never overlap either

  constructor(private readonly ctx: Pick<BenchContext, 'client' | 'pids' | 'database' | 'workerPeakRss' | 'backfillOptions'>) {}

  /** The next `size` days of bench_noop no backfill has run yet. */
  freshRange(size: number): { from: string; to: string } {
    const from = addDays('1900-01-01', this.nextDay);
    this.nextDay += size;
    return { from, to: addDays(from, size - 1) };
  }

  /** The next `size` hours of bench_noop_hourly no backfill has run yet. */
  freshHours(size: number): { from: string; to: string } {
    const hour = (n: number) => `${addDays('1900-01-01', Math.floor(n / 24))}T${String(n % 24).padStart(2, '0')}`;
    const from = hour(this.nextHour);
    this.nextHour += size;
    return { from, to: hour(this.nextHour - 1) };
  }

  /** `n` ceiling workflows (three no-op activities each, no Conveyor), `concurrency` at a time. */
  async ceiling(n: number, concurrency: number): Promise<{ rate: number; cpuMs: CpuMs }> {
    const { client, pids, database } = this.ctx;
    const cpu = cpuMeter({ server: pids.server, ...database, worker: pids.ceiling, client: process.pid });
    const started = performance.now();
    await pool(Array.from({ length: n }, (_, i) => i), concurrency, async () => {
      await client.workflow.execute('ceilingWorkflow', { taskQueue: CEILING_TASK_QUEUE, workflowId: `ceiling-${randomUUID()}` });
    });
    return { rate: n / ((performance.now() - started) / 1000), cpuMs: cpu.stop(n) };
  }

  /** A backfill of `size` fresh partitions of a no-op pipeline (daily unless another is named). */
  async backfill(size: number, concurrency: number, pipeline = benchNoopPipeline.name): Promise<NoopBackfillRun> {
    const { client, pids, database, workerPeakRss, backfillOptions } = this.ctx;
    const range = pipeline === benchNoopPipeline.name ? this.freshRange(size) : this.freshHours(size);
    workerPeakRss.reset();
    const cpu = cpuMeter({ server: pids.server, ...database, worker: pids.worker, client: process.pid });
    const started = performance.now();
    const run = await startBackfill(client, { pipeline, ...range, maxConcurrency: concurrency }, backfillOptions);
    const result = await run.handle.result();
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = cpu.stop(size);
    if (result.succeeded !== size) throw new Error(`backfill of ${size} finished with ${result.succeeded} succeeded`);
    return { seconds, rate: size / seconds, backfillId: run.backfillId, peakRssMb: workerPeakRss.read(), cpuMs };
  }

  /** A finished backfill's time per partition (p50, p95) and history events per partition (its own and the parent's share). */
  async perPartitionStats(backfillId: string, size: number): Promise<{ p50: number; p95: number; eventsPerPartition: number }> {
    const { client } = this.ctx;
    const durations: number[] = [];
    let sampleChildId: string | undefined;
    for (let tries = 0; tries < 20 && durations.length < size; tries += 1) {
      durations.length = 0;
      for await (const wf of client.workflow.list({ query: `BackfillId = "${backfillId}" AND WorkflowType = "partitionPipeline"` })) {
        sampleChildId ??= wf.workflowId;
        if (wf.closeTime) durations.push(wf.closeTime.getTime() - wf.startTime.getTime());
      }
      if (durations.length < size) await new Promise((r) => setTimeout(r, 500));
    }
    let parentEvents = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${backfillId}"` })) {
      parentEvents += (await client.workflow.getHandle(backfillId, wf.runId).fetchHistory()).events?.length ?? 0;
    }
    const child = sampleChildId ? await client.workflow.getHandle(sampleChildId).fetchHistory() : { events: [] };
    return { p50: percentile(durations, 50), p95: percentile(durations, 95), eventsPerPartition: (child.events?.length ?? 0) + parentEvents / size };
  }
}
