/**
 * What a pipeline is: who owns it, when its partitions exist, how to know one is ready,
 * and the SQL that validates, shapes and publishes it. Definitions are data; the generic
 * activities in `activities/` execute them. Validated with zod when registered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sqlString } from '../common/sql';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { ALERT_SINKS } from '../common/alert-sinks';
import { PartitionScheme, partitionsSchema } from '../common/partitions';
import { scheduleAtError } from '../common/schedule-at';
import { DEFAULTS, SCHEME_DEFAULTS } from './defaults';
import { sourceSchema } from './source-schema';
import { checkNameSchema, transformSchema } from './transform-schema';

/** `error`: a failed check fails the partition, nothing published; `warn`: it publishes and alerts. */
export const CHECK_SEVERITIES = checkResultSchema.shape.severity.options;
import { InputError } from '../common/errors';
import { checkResultSchema } from '../common/run-contract';

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'lower-case letters, digits and _; starts with a letter');

export const columnSchema = z.object({
  name: identifier,
  /** DuckDB type of the published column, e.g. `DECIMAL(12,2)`. */
  type: z.string().min(1),
});

const OVERLAP_POLICIES = ['allow_all', 'buffer_all', 'buffer_one', 'skip'] as const;

/**
 * A definition as written. Only name, description, owner, partitions, source, table and transform are required;
 * everything else has a default (definitions/defaults.ts), by partition scheme where it depends on it.
 */
const declarationSchema = z.object({
  name: identifier,
  description: z.string().min(1),
  /** Team or person that alerts about this pipeline are routed to. */
  owner: z.string().min(1),
  /**
   * How partitions are keyed (`common/partitions.ts`): hourly, daily, weekly or monthly windows (UTC)
   * with a first partition and an availability lag in the scheme's own unit, or a static key set.
   */
  partitions: partitionsSchema,
  /** How stale the newest published partition may get before it is an incident (for freshness alerts). */
  freshnessObjectiveHours: z.number().positive().optional(),
  /**
   * When Conveyor runs it by itself (a Temporal Schedule per pipeline, `conveyor schedules apply`).
   * Each scheduled run processes the partition its *scheduled* time implies (the newest available then),
   * so runs made up after an outage process the partitions that were missed. A static key set runs
   * every key, daily.
   */
  schedule: z
    .object({
      /**
       * When, UTC, in the cadence's terms: hourly `:MM` (minute past each hour), daily and static `HH:MM`,
       * weekly `<mon..sun> HH:MM`, monthly `<1..28> HH:MM` (day of the month).
       */
      at: z.string().optional(),
      /** How far back missed runs are made up after an outage (older ones are dropped). */
      catchupWindowDays: z.number().int().min(1).max(365).default(DEFAULTS.catchupWindowDays),
      /**
       * What a run does when the previous scheduled run still runs: `allow_all` runs both (each
       * processes its own partition), `buffer_all` queues, `skip` drops it.
       */
      overlap: z.enum(OVERLAP_POLICIES, { error: `expected one of ${OVERLAP_POLICIES.join(', ')}` }).default(DEFAULTS.overlap),
    })
    .prefault({}),
  /** Where the partition's rows come from: one module per kind (`sources/`). */
  source: sourceSchema,
  /** How a run waits for its source to be ready: polled this often, for up to this long. */
  readiness: z
    .object({
      pollIntervalSeconds: z.number().int().positive().default(DEFAULTS.pollIntervalSeconds),
      timeoutSeconds: z.number().int().positive().optional(),
      /**
       * A backfill's runs are of history, whose data is there or is not: they poll at most every 15 s
       * and fail (dependency) after this long instead of waiting out the scheduled runs' deadline.
       */
      backfillTimeoutSeconds: z.number().int().positive().default(DEFAULTS.backfillTimeoutSeconds),
    })
    .prefault({}),
  quality: z
    .object({
      /** Fail the partition (data failure) when more than this share of rows is rejected. */
      maxRejectedRatio: z.number().min(0).max(1).optional(),
    })
    .prefault({}),
  table: z.object({
    /** Columns of the published table, `showroom.<name>` (besides partition_key and run_id). */
    columns: z.array(columnSchema).min(1),
    /** Columns that identify a row; duplicates on them are dropped (first occurrence kept). */
    uniqueKey: z.array(identifier).min(1),
  }),
  /** How the partition's input becomes the table's rows: one module per kind (`transforms/`). */
  transform: transformSchema,
  /**
   * Checks that gate publish: each a query over the view `output` (the partition's rows as they would
   * be published) and the source's views, returning the rows that break it. A failed `error` check
   * fails the partition as `data` and nothing is published; a failed `warn` check publishes and alerts.
   */
  checks: z
    .array(
      z.object({
        name: checkNameSchema,
        /** What it asserts, for the run record and the alert. */
        description: z.string().min(1).optional(),
        sql: z.string().min(1),
        severity: z.enum(CHECK_SEVERITIES, { error: `expected one of ${CHECK_SEVERITIES.join(', ')}` }).default('error'),
      }),
    )
    .refine((checks) => new Set(checks.map((c) => c.name)).size === checks.length, 'each check needs a name of its own')
    .default([]),
  /**
   * What the pipeline's monitor watches (`pipelineMonitor`, on its own Schedule) and where its
   * alerts go. Every field has a default, so a new pipeline is watched without declaring anything.
   */
  monitors: z
    .object({
      /** How often the monitor runs. */
      everyMinutes: z.number().int().min(1).max(1440).default(DEFAULTS.monitorEveryMinutes),
      /**
       * Partitions checked for failed / missing / row-count / reject alerts: the newest this many
       * (default by scheme: 48 hours, 14 days, 8 weeks, 6 months, every static key).
       */
      windowPartitions: z.number().int().min(1).max(10_000).optional(),
      rowCount: z
        .object({
          /** A partition's published rows are compared with the median of this many partitions before it. */
          trailingPartitions: z.number().int().min(3).max(60).default(DEFAULTS.rowCount.trailingPartitions),
          /** Flag a drop below this share of the median ... */
          minRatio: z.number().min(0).max(1).default(DEFAULTS.rowCount.minRatio),
          /** ... or a spike above this multiple of it. */
          maxRatio: z.number().min(1).default(DEFAULTS.rowCount.maxRatio),
        })
        .prefault({}),
      /**
       * Warn when a published partition rejected more than this share of its rows (default: half of
       * `quality.maxRejectedRatio`, above which the partition fails).
       */
      rejectRatioWarning: z.number().min(0).max(1).optional(),
      alerts: z
        .object({
          /** Where this pipeline's alerts go; default: the environment's CONVEYOR_ALERT_SINKS. */
          sinks: z.array(z.enum(ALERT_SINKS, { error: `expected one of ${ALERT_SINKS.join(', ')}` })).min(1).optional(),
          /** The environment variable holding this pipeline's webhook URL; default CONVEYOR_ALERT_WEBHOOK_URL. */
          webhookUrlEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name, e.g. ORDERS_SLACK_WEBHOOK').optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  steps: z
    .object({
      /** Start-to-close timeout of each work step (ingest, transform, publish). */
      timeoutSeconds: z.number().int().positive().default(DEFAULTS.stepTimeoutSeconds),
      /** Attempts for transient failures before the partition fails. */
      maxAttempts: z.number().int().min(1).max(20).default(DEFAULTS.stepMaxAttempts),
      /**
       * A partition whose input is smaller than this runs ingest and transform as local activities, in
       * its workflow's own task (no task-queue round trips); a larger one as activities with heartbeats.
       * 0: always activities. A function source always runs as activities (its calls heartbeat).
       */
      localBelowBytes: z.number().int().min(0).default(DEFAULTS.localBelowBytes),
    })
    .prefault({}),
});

type Declared = z.output<typeof declarationSchema>;

/** A definition with every default filled in: what the steps, monitors and schedules read. */
export type PipelineDefinition = Omit<Declared, 'freshnessObjectiveHours' | 'schedule' | 'readiness' | 'quality'> & {
  freshnessObjectiveHours: number;
  schedule: Required<Declared['schedule']>;
  readiness: Required<Declared['readiness']>;
  quality: Required<Declared['quality']>;
};

/** The defaults that depend on the partition scheme or the source (definitions/defaults.ts). */
function withSchemeDefaults(d: Declared): PipelineDefinition {
  const byScheme = SCHEME_DEFAULTS[d.partitions.kind];
  return {
    ...d,
    freshnessObjectiveHours: d.freshnessObjectiveHours ?? byScheme.freshnessObjectiveHours,
    schedule: { ...d.schedule, at: d.schedule.at ?? byScheme.at },
    readiness: { ...d.readiness, timeoutSeconds: d.readiness.timeoutSeconds ?? byScheme.readinessTimeoutSeconds },
    quality: { maxRejectedRatio: d.quality.maxRejectedRatio ?? DEFAULTS.maxRejectedRatio[d.source.kind === 'upstream' ? 'fromUpstreams' : 'otherwise'] },
  };
}

export const pipelineDefinitionSchema = declarationSchema.transform(withSchemeDefaults);

/** A definition as written: only name, description, owner, partitions, source, table and transform are required. */
export type PipelineDeclaration = z.input<typeof declarationSchema>;

/** A pipeline definition that does not parse: one line naming the pipeline and the field. */
export class PipelineDefinitionError extends InputError {
  override name = 'PipelineDefinitionError';
}

/** Parse a definition, turning a zod error into one line naming the pipeline and field. */
export function definePipeline(definition: PipelineDeclaration): PipelineDefinition {
  const parsed = pipelineDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineDefinitionError(`pipeline '${definition.name}': ${issue.path.join('.')}: ${issue.message}`);
  }
  const scheduleError = scheduleAtError(parsed.data.partitions.kind, parsed.data.schedule.at);
  if (scheduleError) throw new PipelineDefinitionError(`pipeline '${definition.name}': schedule.at: ${scheduleError}`);
  defined.add(parsed.data);
  return parsed.data;
}

const defined = new WeakSet<object>();
/** True for what {@link definePipeline} returned: how discovery tells a folder's definitions from its other exports. */
export function isPipelineDefinition(value: unknown): value is PipelineDefinition {
  return typeof value === 'object' && value !== null && defined.has(value);
}

/** The scheme of a pipeline's partitions (built once per definition). */
export function partitionSchemeOf(pipeline: Pick<PipelineDefinition, 'partitions'>): PartitionScheme {
  let scheme = schemes.get(pipeline.partitions);
  if (!scheme) schemes.set(pipeline.partitions, (scheme = new PartitionScheme(pipeline.partitions)));
  return scheme;
}
const schemes = new WeakMap<PipelineDefinition['partitions'], PartitionScheme>();

/** How many partitions the monitor watches: the definition's, or the scheme's default. */
export function monitorWindowOf(pipeline: Pick<PipelineDefinition, 'monitors' | 'partitions'>): number {
  const p = pipeline.partitions;
  const byScheme = SCHEME_DEFAULTS[p.kind].monitorWindowPartitions;
  return pipeline.monitors.windowPartitions ?? (byScheme === 'every key' && p.kind === 'static' ? p.keys.length : (byScheme as number));
}

/** The SELECT of a pipeline whose transform is SQL (its own tests run it over inputs they make). */
export function sqlOf(pipeline: Pick<PipelineDefinition, 'name' | 'transform'>): string {
  if (pipeline.transform.kind !== 'sql') throw new InputError(`pipeline '${pipeline.name}' transforms with ${pipeline.transform.kind}, not SQL`);
  return pipeline.transform.sql;
}

/** The pipelines whose partitions this one reads (its graph edges). */
export function upstreamOf(pipeline: Pick<PipelineDefinition, 'source'>): string[] {
  return pipeline.source.kind === 'upstream' ? pipeline.source.inputs.map((i) => i.pipeline) : [];
}

/** A list of SQL string literals, for `IN (...)`. */
export const sqlList = (values: readonly string[]): string => values.map(sqlString).join(', ');

/**
 * Read one of a pipeline's `.sql` files, filling its `{{NAME}}` placeholders from `values` (lists and
 * constants the definition shares with its generator). A placeholder without a value, or a value
 * without a placeholder, is refused when the definition loads.
 */
export function loadSql(file: string, values: Record<string, string> = {}): string {
  const text = fs.readFileSync(file, 'utf8');
  const used = new Set<string>();
  const filled = text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new PipelineDefinitionError(`${path.basename(file)}: no value for placeholder {{${name}}}`);
    used.add(name);
    return values[name]!;
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new PipelineDefinitionError(`${path.basename(file)}: no placeholder for ${unused.join(', ')}`);
  return filled;
}

/**
 * The parameters a pipeline's SQL gets: `$pipeline`, `$partition`, `$run_id`, and for a time partition
 * `$partition_start` and `$partition_end` (exclusive) as UTC timestamps, to check event times against
 * its window whatever the scheme.
 */
export function sqlParamsOf(pipeline: PipelineDefinition, partition: string, runId: string): Record<string, string> {
  const params: Record<string, string> = { pipeline: pipeline.name, partition, run_id: runId };
  const scheme = partitionSchemeOf(pipeline);
  if (!scheme.isTime) return params;
  const { startMs, endMs } = scheme.windowOf(partition);
  const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  return { ...params, partition_start: ts(startMs), partition_end: ts(endMs) };
}
