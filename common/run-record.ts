/**
 * A partition run's record (its manifest): one JSON object per run, written once when the run ends
 * and never rewritten, at `meta/partition_runs/<pipeline>/partition_key=<key>/<run id>.json` in the
 * lake; `meta.partition_runs` to readers. Declared once, here, in the shape it is stored in: the
 * TypeScript type, the lake's DuckDB columns (lake/tables.ts), the JSON Schema
 * (docs/contract/run-record.schema.json) and the table of docs/lake.md are derived from this schema
 * (`npm run contract` writes the docs; a test fails when they are stale). The workflow builds the record
 * (all but `finished_at`, which recordRun stamps); readers validate it (lake/runs.ts). Pure: workflow
 * code may import it.
 */
import { z } from 'zod';
import { FAILURE_CLASSES } from './failure-classes';
import { checkResultSchema, partitionFailureSchema, STEP_NAMES, type StepName } from './run-contract';
import { RUN_KINDS } from './search-attributes';

/** What an operator's override does: force a run past readiness, skip (waive) a partition, rerun one. */
export const OVERRIDE_KINDS = ['force', 'skip', 'rerun'] as const;

/** The kinds of transform a pipeline may declare (definitions/transform-schema.ts, one module each in transforms/). */
export const TRANSFORM_KINDS = ['sql', 'command', 'dbt', 'python', 'spark'] as const;

const count = () => z.number().int().nonnegative();

/** A value per step, for the steps the run reached (a step it never reached is absent). */
const perStep = () => z.object(Object.fromEntries(STEP_NAMES.map((s) => [s, count().optional()])) as Record<StepName, z.ZodOptional<z.ZodNumber>>);

export const runRecordSchema = z
  .object({
    run_id: z.string().describe('the Temporal run ID of this run'),
    workflow_id: z.string().describe("the partition's workflow ID, `<pipeline>.<partition key>`"),
    pipeline: z.string().describe('the pipeline'),
    partition_key: z.string().describe('the partition'),
    run_kind: z.enum(RUN_KINDS).describe('why it ran: `scheduled`, `manual`, `backfill`, or `event` (a notification that its data landed)'),
    backfill_id: z.string().nullable().describe('the backfill that started it; null when no backfill did'),
    status: z.enum(['succeeded', 'failed']).describe('`succeeded` (the partition was published) or `failed`'),
    failure_class: z
      .enum(FAILURE_CLASSES)
      .nullable()
      .describe('a failed run: `transient`, `dependency`, `data` or `code` (docs/runbook.md); null when it succeeded'),
    failure_step: partitionFailureSchema.shape.step.nullable().describe('a failed run: the step it failed at; null when it succeeded'),
    failure_reason: z.string().nullable().describe('a failed run: why, in one line; null when it succeeded'),
    rows_in: count().nullable().describe('rows read (landed records, or upstream rows); null when the run ended before transform counted them'),
    rows_rejected: count().nullable().describe('rows that failed validation (in the reject bin, `quality.rejects`); null when the run ended before transform counted them'),
    rows_duplicate: count()
      .nullable()
      .describe('rows dropped as duplicates of an earlier row with the same unique key; null when the run did not get through transform'),
    rows_published: count().nullable().describe('rows in the published partition; null when the run did not publish'),
    files: z
      .array(
        z.object({
          name: z.string().describe("the file's name"),
          bytes: count().describe('its size in bytes'),
          sha256: z.string().describe('its SHA-256, in hex'),
          rows: count().nullable().describe('well-formed rows transform found in it; null when the run ended before transform'),
          malformed_rows: count().nullable().describe('records in it that could not be parsed (e.g. lines that were not well-formed CSV); null when the run ended before transform'),
        }),
      )
      .describe("the landed files (or upstream partitions' files) ingest snapshotted, in landing order; empty when the run ended before ingest"),
    attempts: perStep().describe(
      'attempts of each step the run reached, the one it failed at included (`awaitLanding`: readiness checks); a step it never reached is absent (null in `meta.partition_runs`)',
    ),
    durations_ms: perStep().describe(
      'milliseconds each step that succeeded took (its successful attempt); absent for the others (null in `meta.partition_runs`)',
    ),
    started_at: z.iso.datetime().describe('when the run started (its workflow start time, UTC)'),
    finished_at: z.iso.datetime().describe('when the run ended: the time its record was written (UTC)'),
    overrides: z
      .array(
        z.object({
          kind: z.enum(OVERRIDE_KINDS).describe('`force` (the run was forced past its readiness wait) or `rerun` (an operator started it)'),
          reason: z.string().describe("the operator's reason"),
          requested_by: z.string().describe('who asked'),
          requested_at: z.string().describe('when they asked (ISO time, the requesting machine\'s clock)'),
        }),
      )
      .describe("operators' overrides that shaped this run (a rerun that started it, a force past its readiness wait); usually empty"),
    transform: z
      .object({
        kind: z.enum(TRANSFORM_KINDS).describe('the kind of transform that ran: `sql`, `command`, `dbt`, `python` or `spark`'),
        engine: z.string().describe('what ran it, with its version: `duckdb v1.5.6`, `dbt-core 1.11.16`, `python 3.11.2 (polars 2.1.0, pyarrow 26.0.1)`, `spark 4.3.0 (spark://host:7077, application app-...)`, or the command and its SHA-256'),
      })
      .nullable()
      .default(null)
      .describe("the transform that made the partition's rows; null when the run ended before transform succeeded"),
    checks: z
      .array(checkResultSchema)
      .default([])
      .describe("the definition's checks of the partition's rows before publish, each with the rows that broke it; empty when it declares none or the run ended before them"),
    upstream: z
      .array(
        z.object({
          pipeline: z.string().describe('the upstream pipeline'),
          partition_key: z.string().describe('its partition'),
          run_id: z.string().nullable().describe('the run that had published it; null when its file carries no run stamp'),
        }),
      )
      .describe("a downstream pipeline's run: the upstream partitions it read and the runs that had published them; empty otherwise"),
  })
  .describe("A partition run's record (meta.partition_runs): one JSON object on one line per run, written once when the run ends");

/** A run's record, as stored (`meta/partition_runs/…/<run id>.json`) and as `meta.partition_runs` shows it. */
export type RunRecord = z.infer<typeof runRecordSchema>;

/** A run's record as a writer gives it: fields added since the first records (`transform`) may be left out. */
export type RunRecordInput = z.input<typeof runRecordSchema>;

/** A run's record as the workflow builds it and hands recordRun, which stamps `finished_at`. */
export type UnfinishedRunRecord = Omit<RunRecordInput, 'finished_at'>;
