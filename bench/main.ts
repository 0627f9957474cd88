/**
 * `npm run bench [-- --quick] [--runs 3]`: how close Conveyor's orchestration gets to the Temporal
 * server's own ceiling on this machine. Starts its own server (temporary database, the same settings
 * as `npm run server`) and two worker processes — Conveyor's (bench/worker.ts, role `conveyor`) and a
 * bare one for the ceiling — so each process's CPU and memory are measured apart. Prints a table and
 * writes bench/results.json. Each figure is the median of `--runs` runs after a warm-up, with min and
 * max. Not part of the test suite: numbers, not asserts.
 *
 * `--server cluster` runs the no-op and real sections (ceiling, backfill, real) on the dev server and
 * then on `npm run cluster`'s stack (the full Temporal server on PostgreSQL), and prints the two side
 * by side (bench/results-cluster.json): what the production shape costs on one machine.
 *
 * `--lake s3` runs the real section with the lake in a folder, then with the lake and the landing zone
 * in S3 (SeaweedFS on loopback, built into .tools/), side by side (bench/results-s3.json).
 *
 * Each section is a file of bench/sections/; bench/context.ts sets up what they measure with.
 */
import path from 'node:path';
import { runMain } from '../platform/exit';
import { closeContext, openContext, type BenchContext } from './context';
import { figureOf, REAL_ROWS_PER_S, S3_OVER_FOLDER, say, SectionFigures, type Figure, type ServerKind } from './figures';
import { rssMb } from './measure';
import { parseBenchArgs, type BenchOptions } from './options';
import { killStartedOnExit } from './processes';
import { printTable, verdictsOf, writeResults } from './report';
import { measureBackfill } from './sections/backfill';
import { measureCeiling, type Yardsticks } from './sections/ceiling';
import { measureFormats } from './sections/formats';
import { measureHourly } from './sections/hourly';
import { measureIsolation } from './sections/isolation';
import { measureKinds } from './sections/kinds';
import { measureMany } from './sections/many';
import { measureReal } from './sections/real';
import { measureScale } from './sections/scale';
import { measureWorkers } from './sections/workers';
import { SERVER_LABEL } from './server';

async function main(): Promise<number> {
  const invocation = parseBenchArgs(process.argv.slice(2));
  if (!invocation) return 0; // --help
  const { servers, out, options } = invocation;
  killStartedOnExit();
  const figures: Figure[] = [];
  for (const kind of servers) {
    say(`=== on ${SERVER_LABEL[kind]} ===`);
    figures.push(...(await measureOn(kind, options)));
  }
  figures.push(...s3OverFolder(figures));
  const verdicts = verdictsOf(figures, servers, options);
  writeResults(out, figures, verdicts, servers, options);
  printTable(figures, verdicts, servers, options.quick);
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  return 0;
}

/** Run the selected sections on a fresh server of `kind`; every figure is tagged with it. */
async function measureOn(kind: ServerKind, options: BenchOptions): Promise<Figure[]> {
  const ctx = await openContext(kind, options);
  const figures = [...(await baseline(ctx))];
  say('warm-up ...');
  await ctx.noop.ceiling(50, 16);
  await ctx.noop.backfill(50, 8);
  const { sections } = options;
  let yardsticks: Yardsticks = { rate: new Map(), cpu: new Map() };
  if (sections.has('ceiling')) {
    const ceiling = await measureCeiling(ctx);
    figures.push(...ceiling.figures);
    yardsticks = ceiling.yardsticks;
  }
  if (sections.has('backfill')) figures.push(...(await measureBackfill(ctx, yardsticks)));
  // In this order: isolation last, as it restarts Conveyor's worker with its default settings.
  const rest = [['hourly', measureHourly], ['scale', measureScale], ['many', measureMany], ['real', measureReal], ['formats', measureFormats], ['kinds', measureKinds], ['workers', measureWorkers], ['isolation', measureIsolation]] as const;
  for (const [section, measure] of rest) if (sections.has(section)) figures.push(...(await measure(ctx)));
  await closeContext(ctx);
  return figures;
}

/** What the worker process holds idle, before any work (tells growth from baseline). */
async function baseline(ctx: BenchContext): Promise<Figure[]> {
  await new Promise((r) => setTimeout(r, 2000));
  const out = new SectionFigures(ctx.kind, 'memory');
  out.record('worker process RSS after startup, idle', 'MB', [rssMb(ctx.pids.worker)]);
  return out.figures;
}

/** The S3 lake against the folder lake, run by run, when both ran. */
function s3OverFolder(figures: Figure[]): Figure[] {
  const rowRate = (kind: ServerKind) => figures.find((f) => f.server === kind && f.name === REAL_ROWS_PER_S)?.samples;
  const [folderRates, s3Rates] = [rowRate('dev'), rowRate('s3')];
  if (!folderRates || !s3Rates) return [];
  const ratios = s3Rates.map((v, i) => (100 * v) / folderRates[i]!);
  return [figureOf('s3', 'real', S3_OVER_FOLDER, '%', ratios)];
}

runMain('conveyor bench', main);
