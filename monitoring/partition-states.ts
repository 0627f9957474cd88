/**
 * What state each partition of a pipeline is in, from what the lake and the server say about it.
 * One rule, used by the monitor, `npx conveyor status` and the dashboard's calendar. Pure.
 */
import type { PartitionScheme } from '../common/partitions';

export const PARTITION_STATES = ['published', 'late', 'failed', 'running', 'missing', 'skipped', 'pending'] as const;
export type PartitionState = (typeof PARTITION_STATES)[number];

/** What is known of one partition. */
export interface PartitionFacts {
  partition: string;
  /** Its published file, and the run that wrote it. */
  published?: { runId: string; rows: number; publishedAt: string | null; runKind: string | null };
  /** Its latest run record (meta.partition_runs). */
  lastRun?: {
    runId: string;
    workflowId: string;
    runKind: string;
    status: 'succeeded' | 'failed';
    failureClass: string | null;
    failureStep: string | null;
    failureReason: string | null;
    rowsIn: number | null;
    rowsRejected: number | null;
    rowsPublished: number | null;
    finishedAt: string;
    /** Its checks that broke (the rows each found), `error` and `warn` alike. */
    checksFailed: { name: string; severity: 'error' | 'warn'; failedRows: number }[];
  };
  /** A run going now (from the server). */
  running?: { workflowId: string; runId: string };
  /** An operator's skip that still holds. */
  skipped?: { by: string; reason: string };
  /** A running backfill whose range holds it (it will get to it): queued, not missing. */
  backfill?: string;
}

export interface PartitionCell extends PartitionFacts {
  state: PartitionState;
  /** When the partition should be published by: the end of its window plus the freshness objective (none for a static key). */
  deadline: string | null;
}

const HOUR_MS = 3_600_000;

/** The end of a partition's window (UTC), in epoch ms: what its data covers up to. A static key has no end (Infinity). */
export function endOfPartitionMs(scheme: PartitionScheme, partition: string): number {
  return scheme.isTime ? scheme.windowOf(partition).endMs : Infinity;
}

/** When a partition should be published by; a static key is never overdue (Infinity). */
export function deadlineMs(scheme: PartitionScheme, partition: string, freshnessObjectiveHours: number): number {
  return endOfPartitionMs(scheme, partition) + freshnessObjectiveHours * HOUR_MS;
}

/**
 * - running: a run is going (it wins: a rerun of a published partition shows as running);
 * - skipped: waived by an operator and not published (even if a run of it failed);
 * - failed: its latest run failed (the data published before, if any, is still there);
 * - late: published after its deadline by an automatic run (scheduled or event); an operator's
 *   manual run or a backfill of an old day is not "late";
 * - published;
 * - missing: nothing published, nothing ran, no running backfill will reach it, and its deadline has passed;
 * - pending: not due yet, or queued in a running backfill.
 */
export function partitionState(scheme: PartitionScheme, facts: PartitionFacts, freshnessObjectiveHours: number, nowMs: number): PartitionState {
  if (facts.running) return 'running';
  if (facts.skipped && !facts.published) return 'skipped';
  if (facts.lastRun?.status === 'failed') return 'failed';
  const deadline = deadlineMs(scheme, facts.partition, freshnessObjectiveHours);
  if (facts.published) {
    const at = facts.published.publishedAt ? Date.parse(facts.published.publishedAt) : NaN;
    const automatic = facts.published.runKind === 'scheduled' || facts.published.runKind === 'event';
    return automatic && at > deadline ? 'late' : 'published';
  }
  return nowMs > deadline && !facts.backfill ? 'missing' : 'pending';
}

/** Cells for every partition from `from` to `to` (oldest first); partitions without facts get none. */
export function partitionCells(
  scheme: PartitionScheme,
  facts: ReadonlyMap<string, PartitionFacts>,
  range: { from: string; to: string },
  freshnessObjectiveHours: number,
  nowMs: number,
): PartitionCell[] {
  const cells: PartitionCell[] = [];
  for (const p of scheme.range(range.from, range.to)) {
    const f = facts.get(p) ?? { partition: p };
    const deadline = deadlineMs(scheme, p, freshnessObjectiveHours);
    cells.push({ ...f, state: partitionState(scheme, f, freshnessObjectiveHours, nowMs), deadline: Number.isFinite(deadline) ? new Date(deadline).toISOString() : null });
  }
  return cells;
}

/** Freshness of the newest published partition: how far behind the data is, and whether that breaks the objective. */
export interface Freshness {
  newestPublished: string | null;
  /** Hours from the end of the newest published partition's day to now (null: nothing published). */
  lagHours: number | null;
  objectiveHours: number;
  late: boolean;
}

/**
 * Freshness of a time scheme's newest published partition. A static key set has no newest window:
 * its freshness is never late (each key's runs are watched as failed or missing instead).
 * @param firstPartition nothing published is late only once the pipeline's first partition is past its deadline.
 */
export function freshnessOf(scheme: PartitionScheme, newestPublished: string | null, objectiveHours: number, nowMs: number, firstPartition?: string): Freshness {
  if (!scheme.isTime) return { newestPublished, lagHours: null, objectiveHours, late: false };
  if (!newestPublished) {
    return { newestPublished: null, lagHours: null, objectiveHours, late: firstPartition === undefined || nowMs > deadlineMs(scheme, firstPartition, objectiveHours) };
  }
  const lagHours = (nowMs - endOfPartitionMs(scheme, newestPublished)) / HOUR_MS;
  return { newestPublished, lagHours, objectiveHours, late: lagHours > objectiveHours };
}

/** "fresh (lag 3.2 h, objective 30 h)" / "late by 5.1 h" / "nothing published yet". */
export function describeFreshness(f: Freshness): string {
  if (f.lagHours === null) return f.newestPublished === null ? 'nothing published yet' : 'a key set has no lag: each key is watched for failed or missing runs';
  const lag = Math.max(0, f.lagHours);
  return f.late ? `late by ${formatHours(lag - f.objectiveHours)} (lag ${formatHours(lag)}, objective ${f.objectiveHours} h)` : `fresh (lag ${formatHours(lag)}, objective ${f.objectiveHours} h)`;
}

export function formatHours(hours: number): string {
  return hours >= 48 ? `${(hours / 24).toFixed(1)} d` : `${hours.toFixed(1)} h`;
}

/** The median of some numbers (undefined when there are none). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
