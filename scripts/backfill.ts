/**
 * `npm run backfill -- --pipeline orders --from 2016-01-01 --to 2025-12-31 [--concurrency 8]
 *     [--reprocess missing|failed|stale|all] [--order oldest-first|newest-first] [--stop-after-failures N]
 *     [--dry-run] [--json] [--no-wait]`
 * `npm run backfill -- --reprocess stale [--pipeline daily_revenue]`: every stale partition (of one
 *     pipeline, or of all, upstream first), no range needed
 * `npm run backfill -- status|pause|resume|cancel|resize <backfillId> [n] [--cancel-running] [--json]`
 *
 * Exit codes: 0 all partitions succeeded, 1 some failed (or the backfill was cancelled), 2 bad input.
 */
import { Command, CommanderError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import {
  cancelBackfill,
  getBackfillStatus,
  parseConcurrency,
  pauseBackfill,
  planBackfill,
  preflightBackfill,
  resizeBackfill,
  resumeBackfill,
  staleBackfillRequest,
  startBackfill,
  withRate,
  type BackfillClientOptions,
  type BackfillRequest,
  type BackfillStatus,
} from '../client/backfills';
import { connectClient } from '../client/connect';
import { loadConfig, type ConveyorConfig } from '../platform/config';
import { progressQuery } from '../workflows/backfill-api';
import { BACKFILL_ORDERS, MAX_BACKFILL_CONCURRENCY, REPROCESS_MODES, type BackfillProgress } from '../workflows/backfill-input';
import { deploymentRegistry, type PipelineRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import { exitOnError } from './lib/cli-errors';

const CONTROL_COMMANDS = ['status', 'pause', 'resume', 'cancel', 'resize'] as const;

async function main(argv: string[]): Promise<number> {
  const config = loadConfig();
  if ((CONTROL_COMMANDS as readonly string[]).includes(argv[0] ?? '')) return control(argv, config);
  return start(argv, config);
}

async function start(argv: string[], config: ConveyorConfig): Promise<number> {
  const program = new Command('npm run backfill --')
    .description('Backfill a range of partitions with bounded concurrency on the backfill pool.')
    .option('--pipeline <name>', 'pipeline name (with --reprocess stale and no range: every pipeline, upstream first, when left out)')
    .option('--from <key>', 'first partition, inclusive, in the pipeline\'s scheme (2024-03-01, 2024-03-01T05, 2024-W10, 2024-03, or a static key)')
    .option('--to <key>', 'last partition, inclusive')
    .option('--keys <list>', 'instead of --from/--to: these keys, comma-separated (e.g. some tenants of a static set)')
    .option('--concurrency <n>', `partitions in flight at most (1-${MAX_BACKFILL_CONCURRENCY})`, '4')
    .addOption(new Option('--reprocess <mode>', 'which partitions to run').choices(REPROCESS_MODES).default('missing'))
    .addOption(new Option('--order <order>', 'which end first').choices(BACKFILL_ORDERS).default('oldest-first'))
    .option('--stop-after-failures <n>', 'stop starting partitions after N failures')
    .option('--dry-run', 'list the partitions it would run and why; start nothing')
    .option('--json', 'print JSON instead of a progress bar and table')
    .option('--no-wait', 'start (or attach) and return')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    pipeline?: string; from?: string; to?: string; keys?: string; concurrency: string; reprocess: (typeof REPROCESS_MODES)[number];
    order: 'oldest-first' | 'newest-first'; stopAfterFailures?: string; dryRun?: boolean; json?: boolean; wait: boolean;
  }>();
  const base = { maxConcurrency: o.concurrency as unknown as number, order: o.order, stopAfterFailures: o.stopAfterFailures as unknown as number | undefined };
  const options = { config, registry: deploymentRegistry() };
  const noRange = o.from === undefined && o.to === undefined && o.keys === undefined;
  if (o.reprocess === 'stale' && noRange) return reprocessStale(o.pipeline, base, options, { dryRun: o.dryRun === true, json: o.json === true, wait: o.wait });
  if (o.pipeline === undefined) throw new InputError('--pipeline is required (only --reprocess stale without a range goes without it: every stale partition, upstream first)');
  const request = {
    ...base, pipeline: o.pipeline, from: o.from, to: o.to, ...(o.keys !== undefined ? { keys: o.keys.split(',').map((k) => k.trim()) } : {}), reprocess: o.reprocess,
  };
  preflightBackfill(request, options); // bad input fails here, before any connection
  const client = await connectClient(config);
  return runBackfill(client, request, options, { dryRun: o.dryRun === true, json: o.json === true, wait: o.wait });
}

interface Output {
  dryRun: boolean;
  json: boolean;
  wait: boolean;
}

/** Plan (dry run) or start one backfill, watch it unless told not to wait; the exit code. */
async function runBackfill(client: Client, request: BackfillRequest, options: BackfillClientOptions, out: Output): Promise<number> {
  if (out.dryRun) {
    const plan = await planBackfill(client, request, options);
    if (out.json) console.log(JSON.stringify(plan, null, 2));
    else {
      for (const p of plan.partitions) console.log(`${p.partition}  ${p.reason}`);
      for (const w of plan.waived) console.log(`${w.partition}  skipped: ${w.reason}`);
      console.log(`would run ${plan.partitions.length} partition(s); ${plan.skipped} need nothing (reprocess: ${request.reprocess}), ${plan.waived.length} of them skipped by an operator`);
    }
    return 0;
  }

  const run = await startBackfill(client, request, options);
  console.error(`${run.attached ? 'attached to running backfill' : 'started backfill'} ${run.backfillId}`);
  console.error(`Web UI: ${run.webUiUrl}  (children: BackfillId = "${run.backfillId}")`);
  if (!out.wait) return 0;

  const result = await watch(run.backfillId, run.handle, !out.json && process.stderr.isTTY === true);
  const status = withRate(result, Date.now());
  if (out.json) console.log(JSON.stringify(status, null, 2));
  else printSummary(status);
  return result.failed === 0 && result.state === 'completed' ? 0 : 1;
}

/**
 * `--reprocess stale` without a range: the stale partitions of one pipeline, or of every pipeline
 * built from upstreams, upstream first, each backfill finished before the next pipeline is looked at
 * (rerunning a pipeline makes its own downstream partitions stale). A failure stops the walk there.
 */
async function reprocessStale(only: string | undefined, base: Pick<BackfillRequest, 'maxConcurrency' | 'order' | 'stopAfterFailures'>, options: BackfillClientOptions & { config: ConveyorConfig; registry: PipelineRegistry }, out: Output): Promise<number> {
  const registry = options.registry;
  const pipelines = only !== undefined ? [registry.get(only).name] : registry.upstreamFirst().filter((p) => p.source.kind === 'upstream').map((p) => p.name);
  if (only === undefined && !out.wait && !out.dryRun) throw new InputError('--no-wait cannot walk every pipeline upstream first (each backfill must finish before its downstream is looked at); give --pipeline');
  let client: Client | undefined;
  for (const pipeline of pipelines) {
    const found = await staleBackfillRequest(options.config, pipeline, base, registry);
    if (!found) {
      console.error(`${pipeline}: nothing stale`);
      continue;
    }
    console.error(`${pipeline}: ${found.stale.length} stale partition(s), ${found.stale.slice(0, 3).join(', ')}${found.stale.length > 3 ? ', …' : ''}`);
    preflightBackfill(found.request, options);
    client ??= await connectClient(options.config);
    const code = await runBackfill(client, found.request, options, out);
    if (code !== 0) {
      const rest = pipelines.slice(pipelines.indexOf(pipeline) + 1);
      if (rest.length > 0) console.error(`stopped: ${pipeline}'s stale backfill did not succeed; not looked at: ${rest.join(', ')}`);
      return code;
    }
  }
  if (out.dryRun && only === undefined) console.error('(a dry run lists what is stale now; rerunning a pipeline makes the partitions downstream of it stale in turn)');
  return 0;
}

/** Poll progress until the backfill ends: a live bar on a terminal, a line every 10 s otherwise. */
async function watch(
  backfillId: string,
  handle: Awaited<ReturnType<typeof startBackfill>>['handle'],
  tty: boolean,
): Promise<BackfillProgress> {
  const bar = tty
    ? new SingleBar({
        format: ' {bar} {done}/{total} | {rate}/s | ETA {eta_h} | failed {failed} | running {running} | {state}',
        hideCursor: true,
        stream: process.stderr,
      })
    : undefined;
  let started = false;
  let lastLine = 0;
  const resultPromise = handle.result();
  let finished = false;
  void resultPromise.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    try {
      const status = withRate(await handle.query(progressQuery), Date.now());
      const done = status.succeeded + status.failed + status.skipped + status.cancelled;
      const payload = {
        done, failed: status.failed, running: status.running, state: status.state,
        rate: status.partitionsPerSecond.toFixed(1), eta_h: formatSeconds(status.etaSeconds),
      };
      if (bar && !started) {
        bar.start(status.total, done, payload);
        started = true;
      } else bar?.update(done, payload);
      if (!bar && Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        console.error(`${backfillId}: ${done}/${status.total} done, ${status.failed} failed, ${status.running} running, ${payload.rate}/s, ETA ${payload.eta_h}`);
      }
    } catch {
      // Query during continue-as-new can miss; the next poll answers.
    }
    await Promise.race([resultPromise.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  bar?.stop();
  return resultPromise;
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function printSummary(s: BackfillStatus): void {
  const rows: [string, string | number][] = [
    ['backfill', s.backfillId],
    ['state', s.state],
    ['total', s.total],
    ['succeeded', s.succeeded],
    ['failed', s.failed],
    ['skipped (nothing to do)', s.skipped],
    ['cancelled', s.cancelled],
    ['running', s.running],
    ['pending', s.pending],
    ['concurrency', s.concurrency],
    ['elapsed', formatSeconds(s.elapsedSeconds)],
    ['rate', `${s.partitionsPerSecond.toFixed(2)} partitions/s`],
    ['ETA', s.state === 'running' || s.state === 'paused' ? formatSeconds(s.etaSeconds) : '-'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  if (s.failures.length > 0) {
    console.log('');
    console.log('failed partitions (rerun with --reprocess failed):');
    for (const f of s.failures) console.log(`  ${f.partition}  ${f.failureClass} at ${f.step}: ${f.reason}  (run ${f.runId})`);
    if (s.failuresNotListed > 0) console.log(`  ... and ${s.failuresNotListed} more (see meta.partition_runs)`);
  }
}

async function control(argv: string[], config: ConveyorConfig): Promise<number> {
  const program = new Command('npm run backfill --').exitOverride();
  const withClient = async (fn: (client: Client) => Promise<void>) => {
    const client = await connectClient(config);
    try {
      await fn(client);
    } finally {
      await client.connection.close();
    }
  };
  program
    .command('status <backfillId>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async (client) => {
        const status = await getBackfillStatus(client, id);
        if (o.json) console.log(JSON.stringify(status, null, 2));
        else printSummary(status);
      }),
    );
  program.command('pause <backfillId>').action(async (id: string) =>
    withClient(async (c) => {
      await pauseBackfill(c, id);
      console.error(`paused ${id}: no new partitions start; running ones finish`);
    }),
  );
  program.command('resume <backfillId>').action(async (id: string) =>
    withClient(async (c) => {
      await resumeBackfill(c, id);
      console.error(`resumed ${id}`);
    }),
  );
  program
    .command('cancel <backfillId>')
    .option('--cancel-running', 'also cancel the partitions that are running')
    .action(async (id: string, o: { cancelRunning?: boolean }) =>
      withClient(async (c) => {
        await cancelBackfill(c, id, { cancelRunning: o.cancelRunning === true });
        console.error(`cancelling ${id}${o.cancelRunning ? ' and its running partitions' : '; running partitions finish'}`);
      }),
    );
  program.command('resize <backfillId> <n>').action(async (id: string, n: string) => {
    const value = parseConcurrency(n); // before connecting: bad input needs no server
    await withClient(async (c) => {
      console.error(`${id}: concurrency is now ${await resizeBackfill(c, id, value)}`);
    });
  });
  await program.parseAsync(argv, { from: 'user' });
  return 0;
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    exitOnError('conveyor backfill')(err);
  });
