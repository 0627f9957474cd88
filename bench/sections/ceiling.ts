/**
 * The ceiling: workflows of three no-op activities on a bare Temporal worker, no Conveyor — the
 * server's own throughput on this machine, and the CPU per workflow the backfill section is held to.
 */
import type { BenchContext } from '../context';
import { orchestrationCpu, say, SectionFigures, type Figure } from '../figures';
import { median } from '../measure';

/** The ceiling's throughput and server + worker CPU per workflow, by concurrency: the backfill section's yardsticks. */
export interface Yardsticks {
  rate: Map<number, number>;
  cpu: Map<number, number>;
}

export async function measureCeiling(ctx: BenchContext): Promise<{ figures: Figure[]; yardsticks: Yardsticks }> {
  const { runs, concurrencies, ceilingN } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'ceiling');
  const yardsticks: Yardsticks = { rate: new Map(), cpu: new Map() };
  say(`1. ceiling: ${ceilingN} workflows × 3 no-op activities`);
  for (const c of concurrencies) {
    const samples: Awaited<ReturnType<typeof ctx.noop.ceiling>>[] = [];
    for (let r = 0; r < runs; r += 1) samples.push(await ctx.noop.ceiling(ceilingN, c));
    out.record(`ceiling at concurrency ${c}`, 'workflows/s', samples.map((s) => s.rate));
    out.recordCpu(samples.map((s) => s.cpuMs), (who) => `ceiling at concurrency ${c}: ${who} CPU per workflow`);
    yardsticks.rate.set(c, median(samples.map((s) => s.rate)));
    yardsticks.cpu.set(c, median(samples.map((s) => orchestrationCpu(s.cpuMs))));
  }
  return { figures: out.figures, yardsticks };
}
