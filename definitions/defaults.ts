/**
 * Every default of a pipeline definition that depends on how its partitions are keyed, in one table,
 * so a minimal definition is its name, owner, partitions, source and table. The defaults that do not
 * depend on the scheme are in the schema itself (definitions/definition.ts).
 */
import type { PartitionKind } from '../common/partitions';

export interface SchemeDefaults {
  /** When its schedule runs, UTC, in the cadence's terms (common/schedule-at.ts). */
  at: string;
  /** How stale its newest partition may get: a partition's window, its lag and a margin for the run. */
  freshnessObjectiveHours: number;
  /** How long a scheduled run waits for its data before it fails as `dependency`. */
  readinessTimeoutSeconds: number;
  /** Partitions its monitor checks (a static set: every key). */
  monitorWindowPartitions: number | 'every key';
}

const HOUR = 3600;

export const SCHEME_DEFAULTS: Record<PartitionKind, SchemeDefaults> = {
  hourly: { at: ':10', freshnessObjectiveHours: 3, readinessTimeoutSeconds: 3 * HOUR, monitorWindowPartitions: 48 },
  daily: { at: '02:00', freshnessObjectiveHours: 30, readinessTimeoutSeconds: 8 * HOUR, monitorWindowPartitions: 14 },
  weekly: { at: 'mon 03:00', freshnessObjectiveHours: 8 * 24, readinessTimeoutSeconds: 24 * HOUR, monitorWindowPartitions: 8 },
  monthly: { at: '1 04:00', freshnessObjectiveHours: 32 * 24, readinessTimeoutSeconds: 72 * HOUR, monitorWindowPartitions: 6 },
  static: { at: '02:00', freshnessObjectiveHours: 30, readinessTimeoutSeconds: 8 * HOUR, monitorWindowPartitions: 'every key' },
};

/** Defaults that do not depend on the scheme. */
export const DEFAULTS = {
  catchupWindowDays: 7,
  overlap: 'allow_all',
  pollIntervalSeconds: 60,
  backfillTimeoutSeconds: 120,
  /** Landed rows may be a little bad (1 % rejected passes); rows derived from validated upstreams may not. */
  maxRejectedRatio: { fromUpstreams: 0, otherwise: 0.01 },
  stepTimeoutSeconds: 600,
  stepMaxAttempts: 5,
  /** Below this much input (64 MiB), a partition's ingest and transform run as local activities. */
  localBelowBytes: 64 * 2 ** 20,
  monitorEveryMinutes: 5,
  rowCount: { trailingPartitions: 7, minRatio: 0.5, maxRatio: 2 },
} as const;
