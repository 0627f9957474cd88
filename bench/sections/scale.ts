/** One hourly no-op backfill per size, in this run: what grows with the size of a backfill. */
import type { BenchContext } from '../context';
import { orchestrationCpu, say, SectionFigures, type Figure } from '../figures';
import { PeakRss } from '../measure';
import { benchNoopHourlyPipeline } from '../pipelines';

export async function measureScale(ctx: BenchContext): Promise<Figure[]> {
  const { scaleSizes } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'scale');
  say(`2d. scale: hourly no-op backfills of ${scaleSizes.join(', ')} partitions at concurrency 32`);
  const serverRss = new PeakRss(ctx.pids.server);
  const clientRss = new PeakRss(process.pid);
  const perSize: { size: number; cpu: number; rss: number }[] = [];
  for (const size of scaleSizes) {
    serverRss.reset();
    clientRss.reset();
    const run = await ctx.noop.backfill(size, 32, benchNoopHourlyPipeline.name);
    const label = `scale: ${size} hourly partitions`;
    out.record(`${label}: throughput`, 'partitions/s', [run.rate]);
    out.recordCpu([run.cpuMs], (who) => `${label}: ${who} CPU per partition`);
    out.record(`${label}: server peak RSS`, 'MB', [serverRss.read()]);
    out.record(`${label}: worker peak RSS`, 'MB', [run.peakRssMb]);
    out.record(`${label}: client peak RSS`, 'MB', [clientRss.read()]);
    perSize.push({ size, cpu: orchestrationCpu(run.cpuMs), rss: run.peakRssMb });
  }
  serverRss.stop();
  clientRss.stop();
  const [smallest, largest] = [perSize[0]!, perSize[perSize.length - 1]!];
  if (perSize.length > 1) {
    out.record(`server + worker CPU per partition, ${largest.size} / ${smallest.size}`, '%', [(100 * largest.cpu) / smallest.cpu]);
    out.record(`worker peak RSS, ${largest.size} / ${smallest.size}`, '%', [(100 * largest.rss) / smallest.rss]);
  }
  return out.figures;
}
