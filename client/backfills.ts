/**
 * Typed client API for backfills: start (or attach to) one, plan it (dry run), watch it, and
 * pause / resume / resize / cancel it. Bad input throws a one-line {@link InputError}; nothing starts.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { webUiWorkflowUrl } from '../common/web-ui';
import { describeWorkflow } from './service';
import { z } from 'zod';
import type { ConveyorConfig } from '../platform/config';
import { withDuckDB } from '../lake/duckdb';
import { lakeOf } from '../lake/layout';
import { stalePartitionsOf } from '../lake/staleness';
import { partitionSchemeOf } from '../definitions/definition';
import { BACKFILL_ID_SA, PIPELINE_SA, RUN_KIND_SA } from '../common/search-attributes';
import { backfillIdOf, backfillPlanIdOf } from '../common/workflow-ids';
import { assertPartitionKey, latestAvailablePartition, type PipelineRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, setConcurrencyUpdate } from '../workflows/backfill-api';
import {
  BACKFILL_ORDERS,
  MAX_BACKFILL_CONCURRENCY,
  MAX_BACKFILL_KEYS,
  concurrencySchema,
  REPROCESS_MODES,
  type BackfillInput,
  type BackfillProgress,
} from '../workflows/backfill-input';
import type { backfillPipeline } from '../workflows/backfill';
import type { BackfillPlan, backfillPlan } from '../workflows/backfill-plan';

// The workflow's own bound (concurrencySchema), accepting CLI strings too.
const concurrency = z.coerce.number().pipe(concurrencySchema);

/** Validate a concurrency bound; a bad one is a one-line InputError naming the value. */
export function parseConcurrency(value: unknown): number {
  const parsed = concurrency.safeParse(value);
  if (!parsed.success) {
    throw new InputError(`invalid concurrency ${JSON.stringify(value)}: a whole number from 1 to ${MAX_BACKFILL_CONCURRENCY}`);
  }
  return parsed.data;
}

export const backfillRequestSchema = z.object({
  pipeline: z.string().min(1),
  /** The range, both ends included, in the pipeline's scheme (checked against it once the pipeline is known). */
  from: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
  /** Instead of a range: these keys (e.g. some tenants of a static set), in this order. */
  keys: z.array(z.string().min(1)).min(1).max(MAX_BACKFILL_KEYS).optional(),
  maxConcurrency: concurrency.default(4),
  reprocess: z.enum(REPROCESS_MODES).default('missing'),
  order: z.enum(BACKFILL_ORDERS).default('oldest-first'),
  stopAfterFailures: z.coerce.number().int().positive().optional(),
  partitionsPerRun: z.number().int().min(10).max(1000).optional(),
  silentChildCheckSeconds: z.number().int().min(1).max(86_400).optional(),
});
export type BackfillRequest = z.input<typeof backfillRequestSchema>;

export interface BackfillClientOptions {
  config: Pick<ConveyorConfig, 'backfillTaskQueue' | 'webUiUrl' | 'namespace'>;
  /** The deployment's pipelines (definitions/registry.ts: deploymentRegistry(), or a registry of your own). */
  registry: PipelineRegistry;
  now?: () => number;
}

export interface BackfillRun {
  backfillId: string;
  attached: boolean;
  webUiUrl: string;
  handle: WorkflowHandle<typeof backfillPipeline>;
}

/** Progress with rate and ETA, computed on the caller's clock (workflow code has none). */
export interface BackfillStatus extends BackfillProgress {
  elapsedSeconds: number;
  partitionsPerSecond: number;
  etaSeconds: number | null;
}

const FIELD_NAMES: Record<string, string> = { maxConcurrency: 'concurrency' };

/** Validate a backfill request (pipeline, dates, range, concurrency) without touching the server. */
export function preflightBackfill(request: BackfillRequest, options: BackfillClientOptions) {
  const parsed = backfillRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    const value = (request as Record<string, unknown>)[field];
    const allowed = field === 'maxConcurrency' ? `a whole number from 1 to ${MAX_BACKFILL_CONCURRENCY}` : issue.message;
    throw new InputError(`invalid ${FIELD_NAMES[field] ?? field} ${JSON.stringify(value)}: ${allowed}`);
  }
  const req = parsed.data;
  const pipeline = options.registry.get(req.pipeline);
  if ((req.keys === undefined) === (req.from === undefined || req.to === undefined) || (req.keys && (req.from || req.to))) {
    throw new InputError('give a range (from and to) or a list of keys, not both, not neither');
  }
  for (const key of req.keys ?? []) assertPartitionKey(pipeline, key, 'key');
  if (req.keys && new Set(req.keys).size !== req.keys.length) throw new InputError(`keys ${req.keys.join(',')}: each key once`);
  const from = req.from ?? req.keys![0]!;
  const to = req.to ?? req.keys![req.keys!.length - 1]!;
  assertPartitionKey(pipeline, from, 'from');
  assertPartitionKey(pipeline, to, 'to');
  const scheme = partitionSchemeOf(pipeline);
  if (!req.keys && scheme.indexOf(from)! > scheme.indexOf(to)!) throw new InputError(`from ${from} is after to ${to}`);
  const latest = latestAvailablePartition(pipeline, (options.now ?? Date.now)());
  for (const [what, key] of req.keys ? req.keys.map((k) => ['key', k] as const) : ([['from', from], ['to', to]] as const)) {
    if (scheme.indexOf(key)! < scheme.indexOf(scheme.first)!) throw new InputError(`${what} ${key} is before ${pipeline.name}'s first partition ${scheme.first}`);
    if (scheme.indexOf(key)! > scheme.indexOf(latest)!) throw new InputError(`${what} ${key} is in the future for ${pipeline.name} (latest available partition: ${latest})`);
  }
  const backfillId = backfillIdOf({ ...req, from, to });
  const input: BackfillInput = {
    backfillId,
    pipeline: pipeline.name,
    from,
    to,
    ...(req.keys ? { keys: req.keys } : {}),
    maxConcurrency: req.maxConcurrency,
    reprocess: req.reprocess,
    order: req.order,
    stopAfterFailures: req.stopAfterFailures,
    childTaskQueue: options.config.backfillTaskQueue,
    partitionsPerRun: req.partitionsPerRun,
    silentChildCheckSeconds: req.silentChildCheckSeconds,
  };
  return { input };
}

/**
 * The backfill that reruns the stale partitions of `pipeline` (staleness: lake/staleness.ts), or
 * undefined when none is: over the range from its oldest to its newest stale partition (the planner
 * reruns only the stale ones in it), or, for a key set, over the stale keys.
 */
export async function staleBackfillRequest(
  config: Pick<ConveyorConfig, 'lakeDir' | 'lakeUrl' | 'lakeUrl'>,
  pipeline: string,
  base: Pick<BackfillRequest, 'maxConcurrency' | 'order' | 'stopAfterFailures'>,
  registry: PipelineRegistry,
): Promise<{ request: BackfillRequest; stale: string[] } | undefined> {
  const scheme = partitionSchemeOf(registry.get(pipeline));
  const found = await withDuckDB((db) => stalePartitionsOf(db, lakeOf(config), pipeline));
  const stale = [...found.keys()].filter((k) => scheme.isKey(k)).sort((a, b) => scheme.indexOf(a)! - scheme.indexOf(b)!);
  if (stale.length === 0) return undefined;
  const where = scheme.isTime ? { from: stale[0]!, to: stale[stale.length - 1]! } : { keys: stale };
  return { request: { ...base, pipeline, ...where, reprocess: 'stale' }, stale };
}

export async function startBackfill(client: Client, request: BackfillRequest, options: BackfillClientOptions): Promise<BackfillRun> {
  const { input } = preflightBackfill(request, options);
  const existing = await describeWorkflow(client, input.backfillId);
  const handle = await client.workflow.start<typeof backfillPipeline>('backfillPipeline', {
    workflowId: input.backfillId,
    taskQueue: options.config.backfillTaskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: PIPELINE_SA, value: input.pipeline },
      { key: RUN_KIND_SA, value: 'backfill' },
      { key: BACKFILL_ID_SA, value: input.backfillId },
    ],
    staticSummary: `backfill ${input.pipeline} ${input.from}..${input.to} (${input.reprocess})`,
    staticDetails: `Backfill of **${input.pipeline}** from ${input.from} to ${input.to}, reprocess \`${input.reprocess}\`, ${input.order}, concurrency ${input.maxConcurrency}. Children have \`BackfillId = "${input.backfillId}"\`.`,
  });
  return {
    backfillId: input.backfillId,
    attached: existing?.status.name === 'RUNNING',
    webUiUrl: webUiWorkflowUrl(options.config, input.backfillId),
    handle,
  };
}

/** Dry run: the partitions the backfill would run, with reasons, from the same durable records. */
export async function planBackfill(client: Client, request: BackfillRequest, options: BackfillClientOptions): Promise<BackfillPlan> {
  const { input } = preflightBackfill(request, options);
  return client.workflow.execute<typeof backfillPlan>('backfillPlan', {
    workflowId: backfillPlanIdOf(input.backfillId),
    taskQueue: options.config.backfillTaskQueue,
    args: [{ pipeline: input.pipeline, from: input.from, to: input.to, ...(input.keys ? { keys: input.keys } : {}), reprocess: input.reprocess ?? 'missing', order: input.order ?? 'oldest-first' }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

/** A handle to an existing backfill; an unknown ID is a one-line InputError. */
export async function getBackfill(client: Client, backfillId: string): Promise<WorkflowHandle<typeof backfillPipeline>> {
  const description = await describeWorkflow(client, backfillId);
  if (!description || description.type !== 'backfillPipeline') {
    throw new InputError(`unknown backfill id '${backfillId}' (backfill ids look like backfill.orders.2024-01-01..2024-01-31.missing.oldest-first)`);
  }
  return client.workflow.getHandle<typeof backfillPipeline>(backfillId);
}

export function withRate(progress: BackfillProgress, nowMs: number): BackfillStatus {
  const elapsedSeconds = Math.max(0.001, (nowMs - Date.parse(progress.startedAt)) / 1000);
  const partitionsPerSecond = progress.finished / elapsedSeconds;
  const remaining = progress.pending + progress.running;
  return {
    ...progress,
    elapsedSeconds,
    partitionsPerSecond,
    etaSeconds: remaining === 0 ? 0 : partitionsPerSecond > 0 ? remaining / partitionsPerSecond : null,
  };
}

/** Progress of a running or finished backfill (a finished one answers with its result). */
export async function getBackfillStatus(client: Client, backfillId: string, now: () => number = Date.now): Promise<BackfillStatus> {
  const handle = await getBackfill(client, backfillId);
  const description = await handle.describe();
  const progress = description.status.name === 'RUNNING' ? await handle.query(progressQuery) : await handle.result();
  return withRate(progress, description.closeTime?.getTime() ?? now());
}

export async function pauseBackfill(client: Client, backfillId: string): Promise<void> {
  await (await getRunningBackfill(client, backfillId)).signal(pauseSignal);
}
export async function resumeBackfill(client: Client, backfillId: string): Promise<void> {
  await (await getRunningBackfill(client, backfillId)).signal(resumeSignal);
}
export async function cancelBackfill(client: Client, backfillId: string, options: { cancelRunning: boolean }): Promise<void> {
  await (await getRunningBackfill(client, backfillId)).signal(cancelSignal, options);
}
/** Change the concurrency bound at once (validated by the workflow: 1..200). */
export async function resizeBackfill(client: Client, backfillId: string, n: number): Promise<number> {
  const bound = parseConcurrency(n);
  return (await getRunningBackfill(client, backfillId)).executeUpdate(setConcurrencyUpdate, { args: [bound] });
}

async function getRunningBackfill(client: Client, backfillId: string) {
  const handle = await getBackfill(client, backfillId);
  const { status } = await handle.describe();
  if (status.name !== 'RUNNING') throw new InputError(`backfill '${backfillId}' is not running (it is ${status.name.toLowerCase()})`);
  return handle;
}
