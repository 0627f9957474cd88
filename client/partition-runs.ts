/**
 * Typed client API for services: start (or attach to) a partition run, wait for its outcome.
 *
 * ```ts
 * const run = await startPartitionRun(client, { pipeline: 'orders', partition: '2024-03-01', runKind: 'manual' });
 * const outcome = await waitForPartitionRun(run);
 * ```
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { webUiWorkflowUrl } from '../common/web-ui';
import { partitionStart, startPartition, waitForPartition, type PartitionOutcome } from './service';
import { z } from 'zod';
import type { ConveyorConfig } from '../platform/config';
import type { OverrideRecord } from '../common/run-types';
import { RUN_KINDS } from '../common/search-attributes';
import { lakeOf } from '../lake/layout';
import { landingOf } from '../landing/landing-zone';
import { sourceOf } from '../sources';
import { assertPartitionAvailable, type PipelineRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import type { PartitionRunInput } from '../workflows/partition-input';
import type { partitionPipeline } from '../workflows/partition-pipeline';

export const partitionRunRequestSchema = z.object({
  pipeline: z.string().min(1),
  partition: z.string().min(1),
  runKind: z.enum(RUN_KINDS).default('manual'),
  backfillId: z.string().min(1).optional(),
  /** Refuse to start when the partition has no landed files yet (the CLI's default for manual runs). */
  requireLandedData: z.boolean().default(false),
});
export type PartitionRunRequest = z.input<typeof partitionRunRequestSchema>;

export interface PartitionRunClientOptions {
  config: Pick<ConveyorConfig, 'taskQueue' | 'landingDir' | 'landingUrl' | 'lakeDir' | 'lakeUrl' | 'webUiUrl' | 'namespace'>;
  /** The deployment's pipelines (deploymentRegistry(), or a registry of your own). */
  registry: PipelineRegistry;
  /** Task queue override (backfills use their own). */
  taskQueue?: string;
  now?: () => number;
}

export interface PartitionRun {
  workflowId: string;
  runId: string;
  /** True when the partition was already running and this call attached to that run. */
  attached: boolean;
  webUiUrl: string;
  handle: WorkflowHandle<typeof partitionPipeline>;
}

export type PartitionRunOutcome = PartitionOutcome;

/**
 * Start the partition's workflow, or attach to it if it is already running (same workflow ID,
 * conflict policy USE_EXISTING). Validates everything first: bad input throws a one-line
 * {@link InputError} and starts nothing.
 */
/**
 * Validate a request without touching the server: pipeline known, partition a valid, available date,
 * (optionally) data landed. Throws a one-line {@link InputError}.
 */
export function preflightPartitionRun(request: PartitionRunRequest, options: PartitionRunClientOptions) {
  const parsed = partitionRunRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`invalid ${issue.path.join('.')}: ${issue.message}`);
  }
  const req = parsed.data;
  const registry = options.registry;
  const pipeline = registry.get(req.pipeline);
  assertPartitionAvailable(pipeline, req.partition, (options.now ?? Date.now)());
  return { req, pipeline };
}

/** When the request requires it, refuse a partition whose data has not landed (a one-line {@link InputError}). */
export async function checkLandedData(request: PartitionRunRequest, options: PartitionRunClientOptions): Promise<void> {
  const { req, pipeline } = preflightPartitionRun(request, options);
  if (!req.requireLandedData) return;
  const { source, module } = sourceOf(pipeline);
  const deps = { registry: options.registry, landing: landingOf(options.config), lake: lakeOf(options.config) };
  // As if forced: files landed without their marker yet are enough here (the run waits for the marker).
  const ready = await module.readiness({ deps, pipeline, source, partition: req.partition, force: true });
  if (!ready.ready) throw new InputError(`${pipeline.name}/${req.partition} cannot run yet: ${ready.why}; pass --wait-for-data to wait for it`);
}

/**
 * Start the partition's workflow, or attach to it if it is already running (same workflow ID,
 * conflict policy USE_EXISTING). Validates everything first: bad input throws a one-line
 * {@link InputError} and starts nothing.
 */
export async function startPartitionRun(
  client: Client,
  request: PartitionRunRequest,
  options: PartitionRunClientOptions,
): Promise<PartitionRun> {
  const start = partitionStartOptions(request, options);
  await checkLandedData(request, options);
  const run = await startPartition(client, start.args[0], { taskQueue: start.taskQueue, staticSummary: start.staticSummary, staticDetails: start.staticDetails });
  return { ...run, webUiUrl: webUiWorkflowUrl(options.config, run.workflowId, run.runId), handle: run.handle as WorkflowHandle<typeof partitionPipeline> };
}

/**
 * How a partition's run is started, whoever starts it (a run, a notify's signal-with-start): its
 * workflow ID, input (the pipeline and the partition: the run resolves the rest), task queue, search attributes and Web UI texts. Validates
 * the request first (a one-line {@link InputError}).
 */
export function partitionStartOptions(request: PartitionRunRequest, options: PartitionRunClientOptions, override?: OverrideRecord) {
  const { req, pipeline } = preflightPartitionRun(request, options);
  const input: PartitionRunInput = {
    pipeline: pipeline.name,
    partition: req.partition,
    runKind: req.runKind,
    ...(req.backfillId ? { backfillId: req.backfillId } : {}),
    ...(override ? { override } : {}),
  };
  return {
    ...partitionStart(input, options.taskQueue ?? options.config.taskQueue),
    staticSummary: `${pipeline.name} ${req.partition} (${req.runKind} run)`,
    staticDetails:
      `Pipeline **${pipeline.name}**, partition **${req.partition}**, ${req.runKind} run` +
      (req.backfillId ? ` of backfill \`${req.backfillId}\`` : '') +
      (override ? ` (${override.kind} by ${override.by}: ${override.reason})` : '') +
      `. Owner: ${pipeline.owner}.`,
  };
}

/** Wait for a run to finish; a failed partition is an outcome (with class, step and reason), not an exception. */
export const waitForPartitionRun: (run: Pick<PartitionRun, 'handle' | 'workflowId' | 'runId'>) => Promise<PartitionRunOutcome> = waitForPartition;
