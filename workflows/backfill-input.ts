/**
 * Backfill input, controls and progress shapes. Pure: imported by the workflow and by clients.
 */
import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { ANY_PARTITION_KEY } from '../common/partitions';
import type { FailureClass } from '../common/failure-classes';

export const MAX_BACKFILL_CONCURRENCY = 200;
/** A backfill's key list travels in its input and each planning call: kept short (a static set's keys, not years of hours). */
export const MAX_BACKFILL_KEYS = 1000;
export const REPROCESS_MODES = ['missing', 'failed', 'stale', 'all'] as const;
export type ReprocessMode = (typeof REPROCESS_MODES)[number];
export const BACKFILL_ORDERS = ['oldest-first', 'newest-first'] as const;
export type BackfillOrder = (typeof BACKFILL_ORDERS)[number];

/** A key of any scheme; the planner checks it against the pipeline's. */
const partitionKey = z.string().regex(ANY_PARTITION_KEY, 'a partition key (letters, digits, - and _)');
export const concurrencySchema = z
  .number()
  .int(`a whole number from 1 to ${MAX_BACKFILL_CONCURRENCY}`)
  .min(1, `a whole number from 1 to ${MAX_BACKFILL_CONCURRENCY}`)
  .max(MAX_BACKFILL_CONCURRENCY, `a whole number from 1 to ${MAX_BACKFILL_CONCURRENCY}`);

export const backfillInputSchema = z
  .object({
    backfillId: z.string().min(1),
    pipeline: z.string().regex(IDENTIFIER_PATTERN, 'a pipeline name'),
    from: partitionKey,
    to: partitionKey,
    /** A list of keys instead of every key from `from` to `to` (e.g. some tenants of a static set); `from`/`to` are its ends. */
    keys: z.array(partitionKey).min(1).max(MAX_BACKFILL_KEYS).optional(),
    maxConcurrency: concurrencySchema.default(4),
    reprocess: z.enum(REPROCESS_MODES).default('missing'),
    order: z.enum(BACKFILL_ORDERS).default('oldest-first'),
    stopAfterFailures: z.number().int().positive().optional(),
    /** Task queue of the children (the backfill pool). */
    childTaskQueue: z.string().min(1),
    /** Partitions started per run before continuing as new (keeps each run's history small). */
    partitionsPerRun: z.number().int().min(10).max(1000).default(250),
    /** How often to look for children of earlier runs that closed without reporting (terminated). */
    silentChildCheckSeconds: z.number().int().min(1).max(86_400).default(300),
  });
// That `from` is not after `to` depends on the pipeline's scheme (static keys do not sort as strings):
// the client checks it, and the planner walks the range by the scheme's indexes.

export type BackfillInput = z.input<typeof backfillInputSchema>;
export type BackfillParams = z.output<typeof backfillInputSchema>;

export interface PlannedPartition {
  partition: string;
  reason: string;
}

/** A chunk of the range, planned from the lake's records by the `planBackfillChunk` activity. */
export interface WaivedPartition {
  partition: string;
  reason: string;
}

export interface BackfillChunk {
  partitions: PlannedPartition[];
  /** Partitions in this chunk that need no work (e.g. already published, or waived). */
  skipped: number;
  /** Of those, the ones an operator waived (`npx conveyor override skip`), with who, when and why. */
  waived?: WaivedPartition[];
  /** Where the next chunk starts; null when the range is exhausted. */
  nextCursor: string | null;
  /** How many partitions the whole range holds (in the pipeline's scheme). */
  total: number;
}

/** What a plan covers: a pipeline's range (or keys), which partitions in it, in which order. */
export interface BackfillPlanInput {
  pipeline: string;
  from: string;
  to: string;
  /** Plan these keys, in this order, instead of the range. */
  keys?: string[];
  reprocess: ReprocessMode;
  order: BackfillOrder;
}

/** One chunk of a plan: from `cursor`, at most `limit` partitions. */
export interface PlanChunkInput extends BackfillPlanInput {
  cursor: string;
  limit: number;
}

/** A running partition the backfill inherited from an earlier run of itself (it cannot see its result). */
/** A running partition whose outcome reaches the backfill by signal only (see findClosedRuns). */
export interface WatchedChild {
  partition: string;
  workflowId: string;
  /** Empty when the backfill attached to a run it did not start. */
  runId: string;
}

export interface BackfillFailure {
  partition: string;
  failureClass: FailureClass | 'cancelled';
  step: string;
  reason: string;
  runId: string;
}

export interface BackfillProgress {
  backfillId: string;
  pipeline: string;
  from: string;
  to: string;
  reprocess: ReprocessMode;
  state: 'running' | 'paused' | 'cancelling' | 'stopping' | 'completed' | 'cancelled' | 'stopped-after-failures';
  concurrency: number;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
  running: number;
  pending: number;
  /** When the backfill (its first run) started; clients compute rate and ETA from it. */
  startedAt: string;
  /** Partitions finished (succeeded or failed) since start. */
  finished: number;
  /** Which run of the continue-as-new chain this is (1-based). */
  runNumber: number;
  runningPartitions: string[];
  failures: BackfillFailure[];
  /** Failures not listed (the list is capped); all are in meta.partition_runs. */
  failuresNotListed: number;
}
