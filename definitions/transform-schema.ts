/**
 * How a pipeline turns its partition's input into its table's rows, as its definition declares it: a
 * discriminated union on `kind`, one module per kind in `transforms/`. Whatever the kind, the output
 * is then checked against the declared columns, de-duplicated on the unique key, counted, checked by
 * the definition's checks and published by the commit rule. Pure: zod schemas only.
 */
import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { TRANSFORM_KINDS } from '../common/run-record';
import { sparkMasterSchema } from '../common/spark';

/**
 * DuckDB SQL over the source's views (`raw`, or one view per upstream input): a SELECT yielding the
 * table's columns. Row by row validation may add `reject_reason` (NULL when the row is valid), with
 * `source_file` and `record_no` naming the input row; a SELECT that aggregates needs none of them.
 * May use `$partition`, `$pipeline`, `$run_id`, and for time partitions `$partition_start` and
 * `$partition_end`. Kept in the pipeline's folder as a `.sql` file (`loadSql`).
 */
export const sqlTransformSchema = z.object({
  kind: z.literal('sql'),
  sql: z.string().min(1),
});

/**
 * Any executable (a script in any language, `spark-submit`, a binary) with its arguments. It reads the
 * input files named in CONVEYOR_INPUTS and writes the table's rows as one file at CONVEYOR_OUTPUT, in
 * its declared `output` format (and rejected rows, optionally, at CONVEYOR_REJECTS); the partition is in
 * CONVEYOR_PARTITION (and its window in CONVEYOR_PARTITION_START / _END). Exit 0 is success, 75
 * (EX_TEMPFAIL) a transient failure (retried), 65 (EX_DATAERR) bad data (not retried), anything
 * else a bug in it (not retried); the end of its stderr is the failure's message.
 */
export const COMMAND_OUTPUT_FORMATS = ['parquet', 'csv', 'jsonl'] as const;

export const commandTransformSchema = z.object({
  kind: z.literal('command'),
  /** The program and its arguments; a relative program path is from the pipeline's folder. */
  command: z.array(z.string().min(1)).min(1),
  /** The format it writes CONVEYOR_OUTPUT (and CONVEYOR_REJECTS) in: Parquet, CSV with a header, or JSON lines. */
  output: z.enum(COMMAND_OUTPUT_FORMATS, { error: `expected one of ${COMMAND_OUTPUT_FORMATS.join(', ')}` }).default('parquet'),
  /** More environment variables for it (a secret belongs in the worker's environment, not here). */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. SPARK_HOME'), z.string()).default({}),
});

/**
 * A model of a dbt project (dbt-core with the dbt-duckdb adapter): `dbt build --select +<model>` builds
 * it and what it refs, and runs their dbt tests, over the run's snapshot, read by the project as the
 * source `conveyor` (`{{ source('conveyor', 'raw') }}`, or one table per upstream input). The partition
 * reaches the models as vars (`conveyor_partition`, `conveyor_partition_start`, `conveyor_partition_end`).
 */
export const dbtTransformSchema = z.object({
  kind: z.literal('dbt'),
  /** The dbt project's folder (its dbt_project.yml), relative to the pipeline's folder. */
  project: z.string().min(1).default('.'),
  /** The model whose rows are this pipeline's table. */
  model: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a dbt model name: letters, digits and _'),
  /**
   * What the model's `ref()`s read: `build` (default) builds them in the run with the model
   * (`--select +model`); `upstream` reads each from the upstream input of that name (its pipeline's
   * published partition), building only the model (`--select model`): one pipeline per model, as
   * `conveyor dbt-import` makes them.
   */
  refs: z.enum(['build', 'upstream']).default('build'),
  /** More vars for the project (`--vars`), beside Conveyor's. */
  vars: z.record(z.string(), z.unknown()).default({}),
});

/**
 * A Python function of the pipeline's folder, `module:function`, run by Conveyor's Python worker (the
 * Temporal Python SDK, on a task queue of its own): given the partition and the snapshot's files, it
 * returns the rows (a Polars, pandas or PyArrow frame). Deployed with its own dependencies, scaled
 * apart from the TypeScript workers, put where the memory or the GPU is.
 */
const pythonFunctionSchema = (example: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$/, `module:function, e.g. '${example}' (${example.split(':')[0]}.py in the pipeline's folder)`);
/** The Python worker's task queue; default CONVEYOR_PYTHON_TASK_QUEUE (conveyor-python). */
const pythonTaskQueueSchema = z.string().min(1).optional();

export const pythonTransformSchema = z.object({
  kind: z.literal('python'),
  function: pythonFunctionSchema('transform:daily_totals'),
  taskQueue: pythonTaskQueueSchema,
});

/**
 * A PySpark job of the pipeline's folder, `module:function`: called with a SparkSession and the
 * partition's context, it returns a Spark DataFrame of the rows. Run by Conveyor's Python worker, in a
 * Spark driver it keeps between partitions, on the transform's `master` (default CONVEYOR_SPARK_MASTER,
 * `local[*]`): a standalone cluster takes a partition larger than one machine.
 */
export const sparkTransformSchema = z.object({
  kind: z.literal('spark'),
  job: pythonFunctionSchema('job:daily_totals'),
  master: sparkMasterSchema.optional(),
  /** Spark settings for the session (`spark.executor.memory`: '4g', ...). */
  conf: z
    .record(z.string(), z.string())
    .superRefine((conf, ctx) => {
      for (const key of Object.keys(conf)) if (!key.startsWith('spark.')) ctx.addIssue({ code: 'custom', message: `${key} is not a Spark setting: expected spark.*` });
    })
    .default({}),
  taskQueue: pythonTaskQueueSchema,
});

export const TRANSFORM_FORMS =
  "{ kind: 'sql', sql }, { kind: 'command', command: [program, ...args] }, { kind: 'dbt', model }, { kind: 'python', function: 'module:function' } or { kind: 'spark', job: 'module:function' }";

export const transformSchema = z.discriminatedUnion('kind', [sqlTransformSchema, commandTransformSchema, dbtTransformSchema, pythonTransformSchema, sparkTransformSchema], {
  error: `expected ${TRANSFORM_FORMS}`,
});

export type TransformDefinition = z.infer<typeof transformSchema>;
export type SqlTransform = z.infer<typeof sqlTransformSchema>;
export type CommandTransform = z.infer<typeof commandTransformSchema>;
export type DbtTransform = z.infer<typeof dbtTransformSchema>;
export type PythonTransform = z.infer<typeof pythonTransformSchema>;
export type SparkTransform = z.infer<typeof sparkTransformSchema>;
/** The kinds run by Conveyor's Python worker. */
export type PythonWorkerTransform = PythonTransform | SparkTransform;
export type TransformKind = TransformDefinition['kind'];

// The run record lists the same kinds (common/run-record.ts): each list must hold the other's.
const recordKinds: readonly TransformKind[] = TRANSFORM_KINDS;
const schemaKinds: readonly (typeof TRANSFORM_KINDS)[number][] = transformSchema.options.map((o) => o.shape.kind.value);
void [recordKinds, schemaKinds];

/** A check's name: how the run record, alerts and failures name it. */
export const checkNameSchema = z.string().regex(IDENTIFIER_PATTERN, 'lower-case letters, digits and _; starts with a letter');
