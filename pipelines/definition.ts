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
import { isPartitionKey } from '../common/partition-key';
import { ALERT_SINKS } from '../common/alert-sinks';

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'lower-case letters, digits and _; starts with a letter');
const partitionKey = z.string().refine(isPartitionKey, 'a real date as YYYY-MM-DD');

export const columnSchema = z.object({
  name: identifier,
  /** DuckDB type of the published column, e.g. `DECIMAL(12,2)`. */
  type: z.string().min(1),
});

export const pipelineDefinitionSchema = z.object({
  name: identifier,
  description: z.string().min(1),
  /** Team or person that alerts about this pipeline are routed to. */
  owner: z.string().min(1),
  cadence: z.literal('daily'),
  /** The earliest partition that exists; backfills and runs before it are refused. */
  firstPartition: partitionKey,
  /** A day's partition becomes available this many days after the day starts (1 = the next day, UTC). */
  availabilityLagDays: z.number().int().min(0).max(30),
  /** How stale the newest published partition may get before it is an incident (for freshness alerts). */
  freshnessObjectiveHours: z.number().positive(),
  /**
   * When Conveyor runs it by itself (a Temporal Schedule per pipeline, `npm run schedules -- apply`).
   * Each scheduled run processes the partition its *scheduled* time implies (that day minus
   * `availabilityLagDays`), so runs made up after an outage process the days that were missed.
   */
  schedule: z.object({
    /** Time of day, UTC, as HH:MM, at which the day's run starts. */
    at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a UTC time of day as HH:MM'),
    /** How far back missed runs are made up after an outage (older ones are dropped). */
    catchupWindowDays: z.number().int().min(1).max(365),
    /**
     * What a run does when the previous scheduled run still runs: `allow_all` runs both (each
     * processes its own partition), `buffer_all` queues, `skip` drops it.
     */
    overlap: z.enum(['allow_all', 'buffer_all', 'buffer_one', 'skip']),
  }),
  /** Pipelines whose partitions must be published first (cross-pipeline dependencies). */
  upstream: z.array(identifier),
  /** The readiness signal: a marker file written last into the partition's landing folder. */
  readiness: z.object({
    marker: z.string().min(1),
    pollIntervalSeconds: z.number().int().positive(),
    timeoutSeconds: z.number().int().positive(),
  }),
  /** Where a source pipeline's data lands (CSV files in the landing zone). Exactly one of `landing`, `derived`. */
  landing: z
    .object({
      /** File names (in the partition folder) that hold the partition's data. */
      filePattern: z.instanceof(RegExp),
      /** CSV header columns, all read as text; typing happens in `validateSql`. */
      columns: z.array(identifier).min(1),
    })
    .optional(),
  /**
   * A downstream pipeline: it reads the same partition of `from`'s published table (which must be
   * in `upstream`) as `raw`, once that partition is published. Its readiness is that publication
   * (`readiness.marker` is not used); its run records the upstream run it consumed.
   */
  derived: z.object({ from: identifier }).optional(),
  quality: z.object({
    /** Fail the partition (data failure) when more than this share of rows is rejected. */
    maxRejectedRatio: z.number().min(0).max(1),
  }),
  table: z.object({
    /** Columns of the published table, `showroom.<name>` (besides partition_key and run_id). */
    columns: z.array(columnSchema).min(1),
    /** Columns that identify a row; duplicates on them are dropped (first occurrence kept). */
    uniqueKey: z.array(identifier).min(1),
    /**
     * A SELECT over `raw` (this partition's staged rows) yielding every published column,
     * `source_file`, `record_no` and `reject_reason` (NULL when valid); one row per raw row.
     * May use `$partition`. The reject bin gets each rejected row's raw record as JSON. Kept in the
     * pipeline's folder as a `.sql` file.
     */
    validateSql: z.string().min(1),
  }),
  /**
   * What the pipeline's monitor watches (`pipelineMonitor`, on its own Schedule) and where its
   * alerts go. Every field has a default, so a new pipeline is watched without declaring anything.
   */
  monitors: z
    .object({
      /** How often the monitor runs. */
      everyMinutes: z.number().int().min(1).max(1440).default(5),
      /** Partitions checked for failed / missing / row-count / reject alerts: the newest this many days. */
      windowDays: z.number().int().min(1).max(366).default(14),
      rowCount: z
        .object({
          /** A partition's published rows are compared with the median of this many partitions before it. */
          trailingPartitions: z.number().int().min(3).max(60).default(7),
          /** Flag a drop below this share of the median ... */
          minRatio: z.number().min(0).max(1).default(0.5),
          /** ... or a spike above this multiple of it. */
          maxRatio: z.number().min(1).default(2),
        })
        .default({ trailingPartitions: 7, minRatio: 0.5, maxRatio: 2 }),
      /**
       * Warn when a published partition rejected more than this share of its rows (default: half of
       * `quality.maxRejectedRatio`, above which the partition fails).
       */
      rejectRatioWarning: z.number().min(0).max(1).optional(),
      alerts: z
        .object({
          /** Where this pipeline's alerts go; default: the environment's CONVEYOR_ALERT_SINKS. */
          sinks: z.array(z.enum(ALERT_SINKS)).min(1).optional(),
          /** The environment variable holding this pipeline's webhook URL; default CONVEYOR_ALERT_WEBHOOK_URL. */
          webhookUrlEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name, e.g. ORDERS_SLACK_WEBHOOK').optional(),
        })
        .default({}),
    })
    .default({ everyMinutes: 5, windowDays: 14, rowCount: { trailingPartitions: 7, minRatio: 0.5, maxRatio: 2 }, alerts: {} }),
  steps: z.object({
    /** Start-to-close timeout of each work step (ingest, transform, publish). */
    timeoutSeconds: z.number().int().positive(),
    /** Attempts for transient failures before the partition fails. */
    maxAttempts: z.number().int().min(1).max(20),
  }),
});

export type PipelineDefinition = z.infer<typeof pipelineDefinitionSchema>;
/** A definition as written: fields with defaults (`monitors`) may be left out. */
export type PipelineDeclaration = z.input<typeof pipelineDefinitionSchema>;

/** The landing settings of a source pipeline; a derived pipeline has none (a code error to ask). */
export function landingOf(pipeline: PipelineDefinition): NonNullable<PipelineDefinition['landing']> {
  if (!pipeline.landing) throw new PipelineDefinitionError(`pipeline '${pipeline.name}' reads ${pipeline.derived?.from ?? 'no source'}, not landed files`);
  return pipeline.landing;
}

/** A pipeline definition that does not parse: one line naming the pipeline and the field. */
export class PipelineDefinitionError extends Error {
  override name = 'PipelineDefinitionError';
}

/** Parse a definition, turning a zod error into one line naming the pipeline and field. */
export function definePipeline(definition: PipelineDeclaration): PipelineDefinition {
  const parsed = pipelineDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineDefinitionError(`pipeline '${definition.name}': ${issue.path.join('.')}: ${issue.message}`);
  }
  const { landing, derived, upstream } = parsed.data;
  if ((landing === undefined) === (derived === undefined)) {
    throw new PipelineDefinitionError(`pipeline '${definition.name}': needs exactly one of landing (files land for it) or derived (it reads another pipeline)`);
  }
  if (derived && !upstream.includes(derived.from)) {
    throw new PipelineDefinitionError(`pipeline '${definition.name}': derived.from '${derived.from}' must be one of its upstream pipelines`);
  }
  return parsed.data;
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
