/**
 * Isolation: a daily run's latency idle and during a saturating backfill, and what the daily runs cost
 * the backfill. Measured as operators run Conveyor: the worker restarted with its default slots (the
 * backfill pool's activity slots are deliberately fewer than the daily pool's).
 */
import { startBackfill } from '../../client/backfills';
import { startPartitionRun, waitForPartitionRun } from '../../client/partition-runs';
import { addDays } from '../../common/partition-key';
import { progressQuery } from '../../workflows/backfill-api';
import type { BenchContext } from '../context';
import { say, SectionFigures, type Figure } from '../figures';
import { median } from '../measure';
import { benchNoopPipeline } from '../pipelines';
import { startWorkerProcess, stopWorkerProcess } from '../processes';

/** How often the isolation section starts a daily run during the backfill. */
const DAILY_RUN_EVERY_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureIsolation(ctx: BenchContext): Promise<Figure[]> {
  const { runs, isolationSize } = ctx.options;
  say(`5. isolation: a daily run, idle and during a ${isolationSize}-partition backfill (default worker settings)`);
  await stopWorkerProcess(ctx.workers.conveyor);
  const { CONVEYOR_BACKFILL_ACTIVITY_SLOTS: _ceilingMatched, ...defaultEnv } = ctx.env;
  ctx.workers.conveyor = await startWorkerProcess('conveyor', defaultEnv, ctx.logFile, ctx.options.profile);
  let day = 0;
  const dailyRun = () => dailyLatency(ctx, addDays('2026-01-01', day++));
  const idle: number[] = [], busy: number[] = [];
  for (let r = 0; r < Math.max(runs, 5); r += 1) idle.push(await dailyRun());
  // The backfill's throughput is measured over the same window twice: once with daily runs back to
  // back in it, once without (another backfill of the same size), so the cost of yielding shows.
  // Daily runs start one a second (a heavy production load for one worker process), each timed.
  const withDaily = await backfillWindow(ctx, async () => {
    for (let r = 0; r < Math.max(runs, 5) * 2; r += 1) {
      const next = performance.now() + DAILY_RUN_EVERY_MS;
      busy.push(await dailyRun());
      await sleep(Math.max(0, next - performance.now()));
    }
  });
  const alone = await backfillWindow(ctx, () => sleep(withDaily.seconds * 1000));
  const out = new SectionFigures(ctx.kind, 'isolation');
  out.record('daily run latency, idle', 'ms', idle);
  out.record(`daily run latency, during backfill (one started every ${DAILY_RUN_EVERY_MS / 1000} s)`, 'ms', busy);
  out.record('ratio busy / idle', '×', [median(busy) / median(idle)]);
  out.record('backfill throughput while daily runs ran (concurrency 32, default slots)', 'partitions/s', [withDaily.rate]);
  out.record('backfill throughput over as long without daily runs', 'partitions/s', [alone.rate]);
  out.record('backfill throughput with daily runs / without', '%', [(100 * withDaily.rate) / alone.rate]);
  return out.figures;
}

/** How long a scheduled run of one bench_noop partition takes, start to finish, in ms. */
async function dailyLatency(ctx: BenchContext, partition: string): Promise<number> {
  const started = performance.now();
  const run = await startPartitionRun(ctx.client, { pipeline: benchNoopPipeline.name, partition, runKind: 'scheduled' }, { config: ctx.config, registry: ctx.registry });
  await waitForPartitionRun(run);
  return performance.now() - started;
}

/** A backfill's throughput over the window `during` takes, once it runs at full speed: the daily runs come to a saturating backfill. */
async function backfillWindow(ctx: BenchContext, during: () => Promise<unknown>): Promise<{ rate: number; seconds: number }> {
  const run = await startBackfill(ctx.client, { pipeline: benchNoopPipeline.name, ...ctx.noop.freshRange(ctx.options.isolationSize), maxConcurrency: 32 }, ctx.backfillOptions);
  await sleep(6000);
  const before = await run.handle.query(progressQuery);
  const started = performance.now();
  await during();
  const after = await run.handle.query(progressQuery);
  const seconds = (performance.now() - started) / 1000;
  await run.handle.result();
  return { rate: (after.succeeded - before.succeeded) / seconds, seconds };
}
