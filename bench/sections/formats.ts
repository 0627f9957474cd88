/** The same orders rows landed as CSV, JSON lines and Parquet, through the same SQL: rows/s of each, and where the time goes. */
import fs from 'node:fs';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { addDays } from '../../common/partition-key';
import type { PartitionRunResult } from '../../common/run-types';
import { withDuckDB } from '../../lake/duckdb';
import { ordersPipeline } from '../../pipelines/orders/definition';
import { generateOrdersPartition } from '../../pipelines/orders/generate';
import { partitionLandingDir } from '../../sources/files';
import type { BenchContext } from '../context';
import { say, SectionFigures, type Figure } from '../figures';
import { cpuMeter, machineBusySeconds } from '../measure';
import { daysFrom, partitionResults } from '../orders';
import { ordersJsonlPipeline, ordersParquetPipeline } from '../pipelines';

const FORMATS = [['csv', ordersPipeline], ['jsonl', ordersJsonlPipeline], ['parquet', ordersParquetPipeline]] as const;
type Format = (typeof FORMATS)[number][0];

interface FormatRun {
  rowRate: number;
  ingestMs: number;
  transformMs: number;
  landedMb: number;
  cpuMs: Record<string, number>;
}

export async function measureFormats(ctx: BenchContext): Promise<Figure[]> {
  const { runs, realDays, realRows } = ctx.options;
  say(`3b. the same ${realDays} days × ${realRows} rows as CSV, JSON lines and Parquet`);
  const samples: Record<Format, FormatRun[]> = { csv: [], jsonl: [], parquet: [] };
  for (let r = 0; r < runs; r += 1) {
    const days = daysFrom(addDays('2019-01-01', r * realDays), realDays);
    for (const d of days) await landAllFormats(ctx, d);
    // Each run starts with the next format, so no format always runs first (or last) on a noisy machine.
    for (const [format, pipeline] of [...FORMATS.slice(r % FORMATS.length), ...FORMATS.slice(0, r % FORMATS.length)]) {
      samples[format].push(await formatRun(ctx, format, pipeline, days));
    }
  }
  return recordFormats(new SectionFigures(ctx.kind, 'formats'), samples);
}

/** A day of orders landed as CSV, and the same rows as JSON lines and as Parquet for their pipelines. */
async function landAllFormats(ctx: BenchContext, day: string): Promise<void> {
  const { landingDir } = ctx.config;
  const csv = generateOrdersPartition({ landingDir, partition: day, rows: ctx.options.realRows, files: 4 });
  for (const [format, pipeline] of [['jsonl', ordersJsonlPipeline], ['parquet', ordersParquetPipeline]] as const) {
    const dir = partitionLandingDir(landingDir, pipeline, day);
    fs.mkdirSync(dir, { recursive: true });
    await withDuckDB(async (db) => {
      for (const name of fs.readdirSync(csv.dir).filter((n) => n.endsWith('.csv'))) {
        const target = path.join(dir, name.replace(/\.csv$/, `.${format}`));
        await db.run(`COPY (SELECT * FROM read_csv('${path.join(csv.dir, name)}', header = true, all_varchar = true, hive_partitioning = false)) TO '${target}' (FORMAT ${format === 'jsonl' ? 'json' : 'parquet'})`);
      }
    });
    fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
  }
}

/** A backfill of `days` of one format's pipeline: rows/s, the steps' mean duration per partition, the bytes landed. */
async function formatRun(ctx: BenchContext, format: Format, pipeline: (typeof FORMATS)[number][1], days: string[]): Promise<FormatRun> {
  const { realDays, realRows, realConcurrency } = ctx.options;
  const { client, pids, database } = ctx;
  const started = performance.now();
  const cpu = cpuMeter({ server: pids.server, ...database, worker: pids.worker, machine: machineBusySeconds });
  const run = await startBackfill(client, { pipeline: pipeline.name, from: days[0]!, to: days[days.length - 1]!, maxConcurrency: realConcurrency, reprocess: 'all' }, ctx.backfillOptions);
  const result = await run.handle.result();
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = cpu.stop(realDays);
  if (result.failed > 0) throw new Error(`${format} backfill failed: ${JSON.stringify(result.failures[0])}`);
  const results = await partitionResults(client, pipeline.name, days);
  const mean = (f: (p: PartitionRunResult) => number) => results.reduce((sum, p) => sum + f(p), 0) / results.length;
  const dir = partitionLandingDir(ctx.config.landingDir, pipeline, days[0]!);
  return {
    rowRate: (realDays * realRows) / seconds,
    ingestMs: mean((p) => p.durationsMs.ingest ?? 0),
    transformMs: mean((p) => p.durationsMs.transform ?? 0),
    landedMb: fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0) / 1e6,
    cpuMs,
  };
}

function recordFormats(out: SectionFigures, samples: Record<Format, FormatRun[]>): Figure[] {
  for (const [format, runs] of Object.entries(samples)) out.record(`orders as ${format}: rows through ingest → transform → publish`, 'rows/s', runs.map((s) => s.rowRate));
  for (const [format, runs] of Object.entries(samples)) {
    out.record(`orders as ${format}: landed bytes per partition`, 'MB', runs.map((s) => s.landedMb));
    out.record(`orders as ${format}: ingest (copy and SHA-256 of every landed byte) per partition`, 'ms', runs.map((s) => s.ingestMs));
    out.record(`orders as ${format}: transform (parse and validate) per partition`, 'ms', runs.map((s) => s.transformMs));
    for (const who of Object.keys(runs[0]?.cpuMs ?? {})) out.record(`orders as ${format}: ${who} CPU per partition`, 'ms', runs.map((s) => s.cpuMs[who]!));
  }
  const rate = (format: Format) => samples[format].map((s) => s.rowRate);
  out.record('JSON lines / CSV rows/s', '%', rate('jsonl').map((v, i) => (100 * v) / rate('csv')[i]!));
  out.record('Parquet / CSV rows/s', '%', rate('parquet').map((v, i) => (100 * v) / rate('csv')[i]!));
  return out.figures;
}
