/**
 * `npm run bench`'s command line: its flags, their defaults (smaller with --quick) and their
 * validation. A bad value is an InputError naming the value and what is allowed.
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { InputError } from '../common/errors';
import { intInRange, parseOption } from '../common/options';
import { PROJECT_ROOT } from '../platform/config';
import { DEFAULT_SECTIONS, SECTIONS, type Section, type ServerKind } from './figures';

/** What every section is given: the sizes and runs it measures. */
export interface BenchOptions {
  quick: boolean;
  runs: number;
  sizes: number[];
  concurrencies: number[];
  realDays: number;
  realRows: number;
  realConcurrency: number;
  workersDays: number;
  isolationSize: number;
  sections: Set<Section>;
  ceilingN: number;
  hourlySize: number;
  manySize: number;
  scaleSizes: number[];
  /** Rows of the kinds section's partitions. */
  kindsRows: number[];
  profile?: string;
}

/** A bench invocation: the servers to measure on, side by side, where to write the results, and the options. */
export interface BenchInvocation {
  servers: ServerKind[];
  out: string;
  options: BenchOptions;
}

interface RawOptions {
  quick?: boolean; runs: string; sizes?: string; concurrency?: string; realDays?: string; realRows?: string; realConcurrency: string; workersDays?: string;
  isolationSize?: string; sections?: string; profile?: string; out?: string; server: string; lake: string; hourlySize?: string; manySize?: string; scaleSizes?: string; kindsRows?: string;
}

function program(): Command {
  return new Command('npm run bench --')
    .option('--quick', 'small sizes: finishes in a few minutes')
    .option('--runs <n>', 'measured runs per figure (median, min, max)', '3')
    .option('--sizes <list>', 'backfill sizes in partitions, comma-separated')
    .option('--concurrency <list>', 'backfill concurrencies, comma-separated')
    .option('--real-days <n>', 'days of the real orders backfill')
    .option('--real-rows <n>', 'rows per day of the real orders backfill')
    .option('--real-concurrency <n>', 'concurrency of the real orders backfill', '8')
    .option('--workers-days <n>', 'days of the orders backfill run with one, then two worker processes')
    .option('--isolation-size <n>', 'partitions of the backfill running during the isolation measurement')
    .option('--hourly-size <n>', 'partitions of the hourly and the daily no-op backfill compared (default 8760: a year of hours)')
    .option('--many-size <n>', 'published partitions the many section writes and reads (default 100000)')
    .option('--kinds-rows <list>', "rows of the kinds section's partitions, comma-separated (default 1000,1000000)")
    .option('--scale-sizes <list>', 'sizes of the scale section\'s hourly no-op backfills (default 1000,10000,50000)')
    .option('--sections <list>', `sections to run, comma-separated (${SECTIONS.join(',')}; default all but scale, or ceiling,backfill,real with --server cluster)`)
    .option('--profile <dir>', 'write V8 CPU profiles of the worker processes to this folder (open in Chrome DevTools)')
    .option('--server <kind>', 'dev: the dev server; cluster: the sections on the dev server, then on npm run cluster\'s stack (PostgreSQL), side by side', 'dev')
    .option('--lake <kind>', 'folder: the lake in a folder; s3: the sections with the lake in a folder, then in S3 (SeaweedFS), side by side', 'folder')
    .option('--out <file>', 'where to write the JSON (default bench/results.json; bench/results-cluster.json with --server cluster)')
    .exitOverride()
    // Commander's own errors (an unknown flag, a missing value) are thrown as one-line InputErrors below.
    .configureOutput({ outputError: () => undefined });
}

/** Parse `argv` (the arguments after the script); undefined when it asked for --help, already printed. */
export function parseBenchArgs(argv: string[]): BenchInvocation | undefined {
  const command = program();
  try {
    command.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return undefined;
    if (err instanceof CommanderError) throw new InputError(err.message.replace(/^error: /, ''));
    throw err;
  }
  const o = command.opts<RawOptions>();
  const serverKind = parseOption('--server', z.enum(['dev', 'cluster']), o.server);
  const lakeKind = parseOption('--lake', z.enum(['folder', 's3'], { error: 'expected folder or s3' }), o.lake);
  if (serverKind === 'cluster' && lakeKind === 's3') throw new InputError('--server cluster and --lake s3 are compared one at a time, each beside the dev server with a folder lake');
  // The cluster, or the S3 lake, is measured beside the dev server with a folder lake, on the sections that show what it costs.
  const servers: ServerKind[] = serverKind === 'cluster' ? ['dev', 'cluster'] : lakeKind === 's3' ? ['dev', 's3'] : ['dev'];
  o.sections ??= serverKind === 'cluster' ? 'ceiling,backfill,real' : lakeKind === 's3' ? 'real' : DEFAULT_SECTIONS.join(',');
  const out = o.out ?? path.join(PROJECT_ROOT, 'bench', serverKind === 'cluster' ? 'results-cluster.json' : lakeKind === 's3' ? 'results-s3.json' : 'results.json');
  return { servers, out, options: optionsOf(o, o.sections) };
}

/** The sizes and runs, validated; the defaults of a full run, or of a quick one. */
function optionsOf(o: RawOptions, sectionList: string): BenchOptions {
  const quick = o.quick === true;
  const list = (flag: string, value: string | undefined, fallback: number[], max = 20_000) =>
    value === undefined ? fallback : value.split(',').map((v) => parseOption(flag, intInRange(1, max), v));
  return {
    quick,
    runs: parseOption('--runs', intInRange(1, 20), o.runs),
    sizes: list('--sizes', o.sizes, quick ? [150] : [365, 3650]),
    concurrencies: list('--concurrency', o.concurrency, quick ? [32] : [8, 32, 128]),
    realDays: parseOption('--real-days', intInRange(1, 365), o.realDays ?? (quick ? '3' : '30')),
    realRows: parseOption('--real-rows', intInRange(1, 10_000_000), o.realRows ?? (quick ? '20000' : '100000')),
    realConcurrency: parseOption('--real-concurrency', intInRange(1, 200), o.realConcurrency),
    workersDays: parseOption('--workers-days', intInRange(2, 365), o.workersDays ?? (quick ? '20' : '60')),
    isolationSize: parseOption('--isolation-size', intInRange(10, 20_000), o.isolationSize ?? (quick ? '200' : '3650')),
    sections: new Set(sectionList.split(',').map((v) => parseOption('--sections', z.enum(SECTIONS), v))),
    ceilingN: quick ? 100 : 1000,
    hourlySize: parseOption('--hourly-size', intInRange(10, 100_000), o.hourlySize ?? (quick ? '240' : '8760')),
    manySize: parseOption('--many-size', intInRange(10, 1_000_000), o.manySize ?? (quick ? '10000' : '100000')),
    scaleSizes: list('--scale-sizes', o.scaleSizes, quick ? [200, 1000] : [1000, 10_000, 50_000], 100_000),
    kindsRows: list('--kinds-rows', o.kindsRows, quick ? [1000, 100_000] : [1000, 1_000_000], 10_000_000),
    profile: o.profile && path.resolve(o.profile),
  };
}
