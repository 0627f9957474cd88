/**
 * The real pipeline: days of generated orders landed, then backfilled through Conveyor's real steps;
 * rows/s, each process's CPU and where the step time goes — and the same partitions again through the
 * bare DuckDB pipeline (bench/bare-pipeline.ts: no Temporal), the data path's floor.
 */
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { addDays } from '../../common/partition-key';
import type { PartitionRunResult } from '../../common/run-types';
import { generateOrdersPartition } from '../../pipelines/orders/generate';
import { ordersPipeline } from '../../pipelines/orders/definition';
import { filesSourceOf } from '../../sources/files';
import type { BenchContext } from '../context';
import { REAL_ROWS_PER_S, say, SectionFigures, type Figure } from '../figures';
import { cpuMeter, median } from '../measure';
import type { CpuMs } from '../noop';
import { daysFrom, partitionResults } from '../orders';
import { runBarePipeline } from '../processes';

const STEPS = ['awaitLanding', 'ingest', 'transform', 'publish'] as const;

interface RealRun {
  rate: number;
  rowRate: number;
  /** Transform + publish throughput in DuckDB, the median over the partitions. */
  tpRate: number;
  cpuMs: CpuMs;
  /** Each step's share of the partitions' step time, in %. */
  shares: Record<(typeof STEPS)[number], number>;
  bareRate: number;
  bareCpuMs: number;
}

export async function measureReal(ctx: BenchContext): Promise<Figure[]> {
  const { runs, realDays, realRows, realConcurrency } = ctx.options;
  const out = new SectionFigures(ctx.kind, 'real');
  say(`3. real pipeline: ${realDays} days × ${realRows} rows of orders`);
  const samples: RealRun[] = [];
  for (let r = 0; r < runs; r += 1) samples.push(await realRun(ctx, r));
  out.record('bare DuckDB pipeline (same files, SQL and Parquet writes; no Temporal): rows/s', 'rows/s', samples.map((s) => s.bareRate));
  out.record('bare DuckDB pipeline: CPU per partition', 'ms', samples.map((s) => s.bareCpuMs));
  out.record('Conveyor / bare rows/s', '%', samples.map((s) => (100 * s.rowRate) / s.bareRate));
  out.record('orders backfill: throughput', 'partitions/s', samples.map((s) => s.rate));
  out.record(REAL_ROWS_PER_S, 'rows/s', samples.map((s) => s.rowRate));
  out.record('transform + publish throughput in DuckDB (per partition)', 'rows/s', samples.map((s) => s.tpRate));
  out.record('concurrency', 'partitions', [realConcurrency]);
  out.recordCpu(samples.map((s) => s.cpuMs), (who) => `${who} CPU per partition`);
  for (const k of STEPS) out.record(`share of step time: ${k}`, '%', samples.map((s) => s.shares[k]));
  return out.figures;
}

/** Run `r`: its own days of orders landed and backfilled, then run again by the bare pipeline. */
async function realRun(ctx: BenchContext, r: number): Promise<RealRun> {
  const { realDays, realRows, realConcurrency } = ctx.options;
  const { client, config, pids, database, s3 } = ctx;
  const days = daysFrom(addDays('2016-01-01', r * realDays), realDays);
  for (const d of days) await ctx.landing.pushFolder(generateOrdersPartition({ landingDir: config.landingDir, partition: d, rows: realRows, files: 4 }).dir, filesSourceOf(ordersPipeline).marker);
  const started = performance.now();
  const cpu = cpuMeter({ server: pids.server, ...database, ...(s3?.process.pid ? { 'S3 server': s3.process.pid } : {}), worker: pids.worker });
  const run = await startBackfill(client, { pipeline: ordersPipeline.name, from: days[0]!, to: days[days.length - 1]!, maxConcurrency: realConcurrency, reprocess: 'all' }, ctx.backfillOptions);
  const result = await run.handle.result();
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpu.stop(realDays);
  if (result.failed > 0) throw new Error(`real backfill failed: ${JSON.stringify(result.failures[0])}`);
  const steps = stepFigures(await partitionResults(client, ordersPipeline.name, days));
  // The floor: the same partitions' work again, in one process with no Temporal (bench/bare-pipeline.ts).
  const bare = runBarePipeline(ctx.env, { landingDir: config.landingDir, lakeDir: path.join(ctx.tmp, `bare-lake-${r}`), partitions: days, concurrency: realConcurrency });
  if (bare.rows !== steps.rowsIn) throw new Error(`the bare pipeline read ${bare.rows} rows, Conveyor ${steps.rowsIn}`);
  return {
    rate: realDays / seconds,
    rowRate: steps.rowsIn / seconds,
    tpRate: steps.tpRate,
    cpuMs,
    shares: steps.shares,
    bareRate: bare.rows / bare.seconds,
    bareCpuMs: bare.cpuMs / realDays,
  };
}

/** From the partitions' own results: rows in, each step's share of the step time, DuckDB's throughput. */
function stepFigures(results: PartitionRunResult[]): { rowsIn: number; shares: RealRun['shares']; tpRate: number } {
  const totals = { awaitLanding: 0, ingest: 0, transform: 0, publish: 0 };
  const perPartitionTp: number[] = [];
  let rowsIn = 0;
  for (const partition of results) {
    for (const k of STEPS) totals[k] += partition.durationsMs[k] ?? 0;
    rowsIn += partition.rows.in;
    perPartitionTp.push(partition.rows.in / ((partition.durationsMs.transform + partition.durationsMs.publish) / 1000));
  }
  const all = Object.values(totals).reduce((a, b) => a + b, 0) || 1;
  const shares = { awaitLanding: 0, ingest: 0, transform: 0, publish: 0 };
  for (const k of STEPS) shares[k] = (100 * totals[k]) / all;
  return { rowsIn, shares, tpRate: median(perPartitionTp) };
}
