/**
 * No-op backfills of each size at each concurrency: throughput, wall time, time per partition,
 * history events, worker memory and each process's CPU per partition, against the ceiling when it ran.
 */
import type { BenchContext } from '../context';
import { orchestrationCpu, say, SectionFigures, type Figure } from '../figures';
import type { NoopBackfillRun } from '../noop';
import type { Yardsticks } from './ceiling';

type Sample = NoopBackfillRun & Awaited<ReturnType<BenchContext['noop']['perPartitionStats']>>;

export async function measureBackfill(ctx: BenchContext, ceiling: Yardsticks): Promise<Figure[]> {
  const { runs, sizes, concurrencies } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'backfill');
  say('2. no-op backfill throughput');
  for (const size of sizes) {
    for (const c of concurrencies) {
      const samples: Sample[] = [];
      for (let r = 0; r < runs; r += 1) {
        const run = await ctx.noop.backfill(size, c);
        samples.push({ ...run, ...(await ctx.noop.perPartitionStats(run.backfillId, size)) });
      }
      recordBackfill(out, `${size} partitions at concurrency ${c}`, samples, ceiling.rate.get(c), ceiling.cpu.get(c));
    }
  }
  return out.figures;
}

function recordBackfill(out: SectionFigures, label: string, samples: Sample[], ceilingRate: number | undefined, ceilingCpu: number | undefined): void {
  out.record(`${label}: throughput`, 'partitions/s', samples.map((s) => s.rate));
  out.record(`${label}: wall time`, 's', samples.map((s) => s.seconds));
  out.record(`${label}: time per partition p50`, 'ms', samples.map((s) => s.p50));
  out.record(`${label}: time per partition p95`, 'ms', samples.map((s) => s.p95));
  if (ceilingRate) out.record(`${label}: ratio to ceiling`, '%', samples.map((s) => (100 * s.rate) / ceilingRate));
  if (ceilingCpu) out.record(`${label}: server + worker CPU per partition / the ceiling's per workflow`, '%', samples.map((s) => (100 * orchestrationCpu(s.cpuMs)) / ceilingCpu));
  out.record(`${label}: history events per partition`, 'events', samples.map((s) => s.eventsPerPartition));
  out.record(`${label}: worker peak RSS`, 'MB', samples.map((s) => s.peakRssMb));
  out.recordCpu(samples.map((s) => s.cpuMs), (who) => `${label}: ${who} CPU per partition`);
}
