/** Published partitions by the hundred thousand: what reading them costs (the lake only, no runs; bench/many.ts). */
import type { BenchContext } from '../context';
import { say, SectionFigures, type Figure } from '../figures';
import { measureManyPartitions } from '../many';

export async function measureMany(ctx: BenchContext): Promise<Figure[]> {
  const { runs, manySize } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'many');
  say(`2c. ${manySize} published partitions: what reading them costs (the lake only, no runs)`);
  const samples = new Map<string, number[]>();
  for (let r = 0; r < runs; r += 1) {
    for (const f of await measureManyPartitions(manySize, Date.parse('2026-11-24T00:00:00Z'), say)) samples.set(f.name, [...(samples.get(f.name) ?? []), f.ms]);
  }
  for (const [name, ms] of samples) out.record(name, 'ms', ms);
  return out.figures;
}
