/**
 * `conveyor backfill --pipeline <p> --from <key> --to <key>`: replay a range with a sliding window of
 * partition runs on the backfill pool; `--reprocess stale` without a range reruns every stale
 * partition, upstream first. `status|pause|resume|resize|cancel <backfillId>` control a running one.
 * Exit 0 all succeeded, 1 some failed (or it was cancelled), 2 bad input.
 */
import { Option, type Command } from 'commander';
import {
  cancelBackfill, getBackfillStatus, parseConcurrency, pauseBackfill, planBackfill, preflightBackfill, resizeBackfill, resumeBackfill,
  staleBackfillRequest, startBackfill, withRate, type BackfillRequest,
} from '../../client/backfills';
import { walkUpstreamFirst } from '../../client/upstream-first';
import { InputError } from '../../common/errors';
import { BACKFILL_ORDERS, MAX_BACKFILL_CONCURRENCY, REPROCESS_MODES } from '../../workflows/backfill-input';
import type { Context } from '../context';
import { examples } from '../output';
import { summaryText, watch } from './backfill-watch';

interface StartOptions {
  pipeline?: string; from?: string; to?: string; keys?: string; concurrency: string; reprocess: (typeof REPROCESS_MODES)[number];
  order: (typeof BACKFILL_ORDERS)[number]; stopAfterFailures?: string; dryRun?: boolean; json?: boolean; wait: boolean;
}
type Output = Pick<StartOptions, 'dryRun' | 'json' | 'wait'>;
type Base = Pick<BackfillRequest, 'maxConcurrency' | 'order' | 'stopAfterFailures'>;

export function register(program: Command, ctx: Context): void {
  const backfill = program
    .command('backfill')
    .summary("backfill a range of partitions; status, pause, resume, resize, cancel one")
    .description('Backfill a range of partitions with bounded concurrency on the backfill pool, or control a running backfill.')
    .addHelpText('after', examples(
      'npx conveyor backfill --pipeline orders --from 2024-03-01 --to 2024-03-31 --concurrency 8',
      'npx conveyor backfill --pipeline orders --from 2024-03-01 --to 2024-03-31 --reprocess failed --dry-run',
      'npx conveyor backfill --reprocess stale',
      'npx conveyor backfill status backfill.orders.2024-03-01..2024-03-31.missing.oldest-first',
    ))
    .option('--pipeline <name>', 'pipeline name (with --reprocess stale and no range: every pipeline, upstream first, when left out)')
    .option('--from <key>', "first partition, inclusive, in the pipeline's scheme (2024-03-01, 2024-03-01T05, 2024-W10, 2024-03, or a static key)")
    .option('--to <key>', 'last partition, inclusive')
    .option('--keys <list>', 'instead of --from/--to: these keys, comma-separated (e.g. some keys of a static set)')
    .option('--concurrency <n>', `partitions in flight at most (1-${MAX_BACKFILL_CONCURRENCY})`, '4')
    .addOption(new Option('--reprocess <mode>', 'which partitions to run').choices(REPROCESS_MODES).default('missing'))
    .addOption(new Option('--order <order>', 'which end first').choices(BACKFILL_ORDERS).default('oldest-first'))
    .option('--stop-after-failures <n>', 'stop starting partitions after N failures')
    .option('--dry-run', 'list the partitions it would run and why; start nothing')
    .option('--json', 'print JSON instead of a progress bar and table')
    .option('--no-wait', 'start (or attach) and return')
    .action(async (o: StartOptions) => {
      const base: Base = { maxConcurrency: o.concurrency as unknown as number, order: o.order, stopAfterFailures: o.stopAfterFailures as unknown as number | undefined };
      const noRange = o.from === undefined && o.to === undefined && o.keys === undefined;
      if (o.reprocess === 'stale' && noRange) {
        ctx.exitCode = await reprocessStale(ctx, o.pipeline, base, o);
        return;
      }
      if (o.pipeline === undefined) throw new InputError('--pipeline is required (only --reprocess stale without a range goes without it: every stale partition, upstream first)');
      const keys = o.keys === undefined ? {} : { keys: o.keys.split(',').map((k) => k.trim()) };
      const request: BackfillRequest = { ...base, pipeline: o.pipeline, from: o.from, to: o.to, ...keys, reprocess: o.reprocess };
      preflightBackfill(request, ctx.deployment); // bad input fails here, before any connection
      ctx.exitCode = await runBackfill(ctx, request, o);
    });
  registerControls(backfill, ctx);
}

/** Plan (dry run) or start one backfill, and watch it unless told not to wait; the exit code. */
async function runBackfill(ctx: Context, request: BackfillRequest, out: Output): Promise<number> {
  const client = await ctx.client();
  if (out.dryRun) {
    const plan = await planBackfill(client, request, ctx.deployment);
    if (out.json) console.log(JSON.stringify(plan, null, 2));
    else {
      for (const p of plan.partitions) console.log(`${p.partition}  ${p.reason}`);
      for (const w of plan.waived) console.log(`${w.partition}  skipped: ${w.reason}`);
      console.log(`would run ${plan.partitions.length} partition(s); ${plan.skipped} need nothing (reprocess: ${request.reprocess}), ${plan.waived.length} of them skipped by an operator`);
    }
    return 0;
  }
  const run = await startBackfill(client, request, ctx.deployment);
  console.error(`${run.attached ? 'attached to running backfill' : 'started backfill'} ${run.backfillId}`);
  console.error(`Web UI: ${run.webUiUrl}  (children: BackfillId = "${run.backfillId}")`);
  if (!out.wait) return 0;
  const result = await watch(run, !out.json && process.stderr.isTTY === true);
  const status = withRate(result, Date.now());
  console.log(out.json ? JSON.stringify(status, null, 2) : summaryText(status));
  return result.failed === 0 && result.state === 'completed' ? 0 : 1;
}

/** `--reprocess stale` without a range: the stale partitions of one pipeline, or of every pipeline built from upstreams, upstream first. */
async function reprocessStale(ctx: Context, only: string | undefined, base: Base, out: Output): Promise<number> {
  const { registry } = ctx;
  const names = only !== undefined ? [registry.get(only).name] : registry.all().filter((p) => p.source.kind === 'upstream').map((p) => p.name);
  if (only === undefined && !out.wait && !out.dryRun) throw new InputError('--no-wait cannot walk every pipeline upstream first (each backfill must finish before its downstream is looked at); give --pipeline');
  let code = 0;
  const walk = await walkUpstreamFirst(registry, names, async (pipeline) => {
    const found = await staleBackfillRequest(ctx.config, pipeline.name, base, registry);
    if (!found) {
      console.error(`${pipeline.name}: nothing stale`);
      return true;
    }
    console.error(`${pipeline.name}: ${found.stale.length} stale partition(s), ${found.stale.slice(0, 3).join(', ')}${found.stale.length > 3 ? ', …' : ''}`);
    preflightBackfill(found.request, ctx.deployment);
    code = await runBackfill(ctx, found.request, out);
    return code === 0;
  }, { concurrent: false });
  if (walk.stoppedAt && walk.notVisited.length > 0) console.error(`stopped: ${walk.stoppedAt}'s stale backfill did not succeed; not looked at: ${walk.notVisited.join(', ')}`);
  if (out.dryRun && only === undefined) console.error('(a dry run lists what is stale now; rerunning a pipeline makes the partitions downstream of it stale in turn)');
  return code;
}

function registerControls(backfill: Command, ctx: Context): void {
  backfill
    .command('status <backfillId>')
    .description('total, succeeded, failed, skipped, running, pending, rate, ETA, failures')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const status = await getBackfillStatus(await ctx.client(), id);
      console.log(o.json ? JSON.stringify(status, null, 2) : summaryText(status));
    });
  backfill.command('pause <backfillId>').description('start no new partitions; running ones finish').action(async (id: string) => {
    await pauseBackfill(await ctx.client(), id);
    console.error(`paused ${id}: no new partitions start; running ones finish`);
  });
  backfill.command('resume <backfillId>').description('start partitions again').action(async (id: string) => {
    await resumeBackfill(await ctx.client(), id);
    console.error(`resumed ${id}`);
  });
  backfill
    .command('cancel <backfillId>')
    .description('stop the backfill; running partitions finish unless --cancel-running')
    .option('--cancel-running', 'also cancel the partitions that are running')
    .action(async (id: string, o: { cancelRunning?: boolean }) => {
      await cancelBackfill(await ctx.client(), id, { cancelRunning: o.cancelRunning === true });
      console.error(`cancelling ${id}${o.cancelRunning ? ' and its running partitions' : '; running partitions finish'}`);
    });
  backfill.command('resize <backfillId> <n>').description(`change its concurrency at once (1-${MAX_BACKFILL_CONCURRENCY})`).action(async (id: string, n: string) => {
    const value = parseConcurrency(n); // before connecting: bad input needs no server
    console.error(`${id}: concurrency is now ${await resizeBackfill(await ctx.client(), id, value)}`);
  });
}
