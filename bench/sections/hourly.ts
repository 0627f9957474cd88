/** The same no-op steps keyed by the hour, beside a daily backfill of the same size, in this run. */
import type { BenchContext } from '../context';
import { say, SectionFigures, type Figure } from '../figures';
import { benchNoopHourlyPipeline } from '../pipelines';

export async function measureHourly(ctx: BenchContext): Promise<Figure[]> {
  const { runs, hourlySize: size } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'hourly');
  say('2b. hourly no-op backfill against a daily one of the same size');
  const daily: number[] = [];
  const hourly: number[] = [];
  for (let r = 0; r < runs; r += 1) {
    daily.push((await ctx.noop.backfill(size, 32)).rate);
    hourly.push((await ctx.noop.backfill(size, 32, benchNoopHourlyPipeline.name)).rate);
  }
  out.record(`${size} daily partitions at concurrency 32: throughput`, 'partitions/s', daily);
  out.record(`${size} hourly partitions at concurrency 32: throughput`, 'partitions/s', hourly);
  out.record('hourly / daily throughput', '%', hourly.map((h, i) => (100 * h) / daily[i]!));
  return out.figures;
}
