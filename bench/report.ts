/**
 * What `npm run bench` reports: the targets it checks (met, missed, or not measured), the results JSON
 * (machine, versions, every figure, the verdicts) and the table, one column per server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEMPORAL_SERVER_VERSION } from '../scripts/lib/cluster/tools';
import { TEMPORAL_CLI_VERSION } from '../scripts/lib/temporal-cli';
import { S3_OVER_FOLDER, type Figure, type ServerKind } from './figures';
import { round } from './measure';
import type { BenchOptions } from './options';
import { SERVER_LABEL } from './server';

export interface Verdict {
  server: ServerKind;
  target: string;
  value: number | null;
  met: boolean | null;
}

type Target = readonly [string, Figure | undefined, (v: number) => boolean];

/** The targets, each with the figure it is judged by on `kind` (undefined where this run did not measure it). */
function targetsOn(figures: Figure[], kind: ServerKind, o: BenchOptions): Target[] {
  const find = (name: string) => figures.find((f) => f.server === kind && f.name === name);
  const [scaleMin, scaleMax] = [Math.min(...o.scaleSizes), Math.max(...o.scaleSizes)];
  // Issue 21's targets are stated against the ceiling and the bare pipeline measured in the same run
  // (machines change CPU model between sessions); the 3,650-partition wall time and the 1,000,000
  // rows/s are reference figures now, recorded with the CPU model (machine.cpuModel), not targets.
  return [
    ['orchestration: server + worker CPU per no-op partition ≤ 50% of the ceiling\'s per workflow (concurrency 32, same run)', find(`${Math.max(...o.sizes)} partitions at concurrency 32: server + worker CPU per partition / the ceiling's per workflow`), (v) => v <= 50],
    ['latency: the 365-partition no-op backfill at concurrency 8 at ≥ 180% of the ceiling\'s throughput', find('365 partitions at concurrency 8: ratio to ceiling'), (v) => v >= 180],
    ['worker peak RSS under 400 MB during the 3,650 backfill', find('3650 partitions at concurrency 32: worker peak RSS'), (v) => v < 400],
    ['two worker processes: no lock errors, each publishes a share', find('orders backfill with 2 worker processes: share of publishes, process 2'), (v) => v > 0 && (find('orders backfill with 2 worker processes: lock errors in the worker logs')?.median ?? 1) === 0],
    ['daily run during a backfill within 1.5× idle, the backfill meanwhile at ≥ 50% of its throughput without them', find('ratio busy / idle'), (v) => v <= 1.5 && (find('backfill throughput with daily runs / without')?.median ?? 0) >= 50],
    ...(['server + worker CPU per partition', 'worker peak RSS'] as const).map(
      (what): Target => [`scale: ${what} at ${scaleMax} partitions within 15% of ${scaleMin}`, find(`${what}, ${scaleMax} / ${scaleMin}`), (v) => v <= 115],
    ),
    ['real pipeline at ≥ 80% of the bare DuckDB pipeline\'s rows/s (same run)', find('Conveyor / bare rows/s'), (v) => v >= 80],
    ['real pipeline with the lake and landing zone in S3 at ≥ 50% of the folder lake\'s rows/s (same run)', find(S3_OVER_FOLDER), (v) => v >= 50],
    ['hourly no-op backfill at ≥ the daily one\'s partitions/s (same size, same run)', find('hourly / daily throughput'), (v) => v >= 100],
    ['JSON lines at ≥ CSV\'s rows/s (same rows, same SQL)', find('JSON lines / CSV rows/s'), (v) => v >= 100],
    ['Parquet at ≥ CSV\'s rows/s (same rows, same SQL)', find('Parquet / CSV rows/s'), (v) => v >= 100],
    ...(['npm run status (7 days)', 'the dashboard page (28 days)', 'the backfill planner\'s first chunk (500)', 'a readiness check of a day covering 24 of them'] as const).map(
      (what): Target => [`${what} within 1 s over ${o.manySize} partitions`, find(`${o.manySize} partitions: ${what}`), (v) => v <= 1000],
    ),
  ];
}

/** Every target on every server: met, missed, or not measured (null). */
export function verdictsOf(figures: Figure[], servers: ServerKind[], o: BenchOptions): Verdict[] {
  return servers.flatMap((kind) =>
    targetsOn(figures, kind, o).map(([name, figure, ok]) => ({ server: kind, target: name, value: figure?.median ?? null, met: figure ? ok(figure.median) : null })),
  );
}

/** The results JSON: when, how, on what machine and versions, every figure and the verdicts. */
export function writeResults(file: string, figures: Figure[], verdicts: Verdict[], servers: ServerKind[], o: BenchOptions): void {
  const out = {
    when: new Date().toISOString(),
    mode: o.quick ? 'quick' : 'full',
    runs: o.runs,
    servers: Object.fromEntries(servers.map((k) => [k, SERVER_LABEL[k]])),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30, 1), platform: `${os.platform()} ${os.release()}` },
    versions: {
      node: process.version,
      temporalSdk: require('@temporalio/worker/package.json').version as string,
      temporalCli: TEMPORAL_CLI_VERSION,
      ...(servers.includes('cluster') ? { temporalServer: TEMPORAL_SERVER_VERSION } : {}),
      duckdb: require('@duckdb/node-api/package.json').version as string,
    },
    notes:
      'RSS is of the Conveyor worker process (daily and backfill pools, DuckDB); CPU is per process: server, database (the PostgreSQL server and its backends, on the cluster), worker, and the bench client. The lake is a folder of the temporary data dir.',
    figures,
    targets: verdicts,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
}

/** One row per figure, one column per server: the cluster's figures beside the dev server's; then the verdicts. */
export function printTable(figures: Figure[], verdicts: Verdict[], servers: ServerKind[], quick: boolean): void {
  const single = servers.length === 1;
  const columnWidth = single ? 26 : 14;
  // In the order of the server with the most figures (the cluster adds database CPU rows).
  const byCount = [...servers].sort((a, b) => figures.filter((f) => f.server === b).length - figures.filter((f) => f.server === a).length);
  const names = [...new Set(byCount.flatMap((k) => figures.filter((f) => f.server === k).map((f) => f.name)))];
  const width = Math.max(...names.map((n) => n.length));
  const cell = (kind: ServerKind, name: string) => {
    const f = figures.find((x) => x.server === kind && x.name === name);
    return (f ? (single ? `${f.median} (${f.min}-${f.max})` : String(f.median)) : '-').padStart(columnWidth);
  };
  console.log(`${'figure'.padEnd(width)}  ${servers.map((k) => (single ? 'median (min-max)' : k).padStart(columnWidth)).join('  ')}  unit`);
  for (const name of names) console.log(`${name.padEnd(width)}  ${servers.map((k) => cell(k, name)).join('  ')}  ${figures.find((f) => f.name === name)!.unit}`);
  console.log('');
  const howToMeasure = quick ? ' (run without --quick)' : ' (its section or size was not run)';
  // Side by side, only the targets this run measured.
  for (const v of verdicts.filter((x) => single || x.met !== null)) {
    console.log(`${v.met === null ? 'NOT MEASURED' : v.met ? 'MET   ' : 'MISSED'}  ${servers.length > 1 ? `[${v.server}] ` : ''}${v.target}${v.value === null ? howToMeasure : `: ${v.value}`}`);
  }
}
