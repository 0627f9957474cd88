/**
 * Shapes exchanged between the partition workflow, its activities and clients. Types only: safe for workflow code.
 */
import type { z } from 'zod';
import type { partitionFailureSchema, partitionRunResultSchema, rowCountsSchema } from './run-contract';
import type { OVERRIDE_KINDS, RunRecord } from './run-record';

/** The steps' names: the list is `STEP_NAMES` in common/run-contract.ts. */
export type { StepName } from './run-contract';

/**
 * A pipeline's definition as one run uses it from its start to its end, resolved once when the run
 * starts (a local activity, so it is recorded in the run's history and replays as it was): JSON, with
 * a file pattern as `{ regex, flags }` and a source function by its name (the deployed code runs it).
 */
export interface PipelineSnapshot {
  name: string;
  definition: Record<string, unknown>;
}

/** What the run takes from its snapshot to drive its steps: readiness polling and step limits. */
export interface ResolvedPartitionRun {
  snapshot: PipelineSnapshot;
  readiness: { pollIntervalSeconds: number; timeoutSeconds: number };
  /** Step limits; `localBelowBytes` is 0 where the steps always run as activities. */
  steps: { timeoutSeconds: number; maxAttempts: number; localBelowBytes: number };
  /** A `python` transform: what its step on the Python worker's task queue is told (absent otherwise). */
  python?: PythonStep;
}

/** A `python` or `spark` transform's step (on Conveyor's Python worker), as the run resolved it: where it runs and what it is told besides its inputs. */
export interface PythonStep {
  taskQueue: string;
  /** The pipeline's folder where the TypeScript worker has it (the Python worker also looks under CONVEYOR_PIPELINES_DIR). */
  folder: string;
  function: string;
  /** The upstream inputs' view names, or null (landed files, a function's rows: `raw`). */
  views: string[] | null;
  inputFormat: 'csv' | 'jsonl' | 'parquet';
  window: { start: string; end: string } | null;
  /** The run's staging folder, lake-relative: the Python step writes its output under it. */
  stagingDir: string;
  /** A `spark` transform: the session's master (null: the Python worker's CONVEYOR_SPARK_MASTER) and settings; null for `python`. */
  spark: SparkSettings | null;
}

export interface SparkSettings {
  master: string | null;
  conf: Record<string, string>;
}

/** What the Python worker's `runPythonTransform` activity is called with (snake_case: Python reads it). */
export interface PythonTransformRequest {
  pipeline: string;
  partition: string;
  run_id: string;
  folder: string;
  function: string;
  /** Lake-relative files by input. */
  inputs: Record<string, string[]>;
  input_format: string;
  start: string | null;
  end: string | null;
  staging_dir: string;
  /** A `spark` job (`function` is the job): where its session runs; null for a `python` function. */
  spark: SparkSettings | null;
}

/** What it returns: its output (and rejects) as lake-relative Parquet files (a glob for a Spark job's folders), the counts, and what ran. */
export interface PythonTransformResult {
  output: string;
  rejects: string | null;
  rows: number;
  engine: string;
}

/** What every step activity is called with. Workflow and run ids come from the activity's own context. */
export interface StepInput {
  pipeline: string;
  partition: string;
  /** The run's pipeline definition, resolved when it started. */
  snapshot: PipelineSnapshot;
  /** Readiness only: an operator forced the run past its wait (the marker is not required, data files are). */
  force?: boolean;
  /**
   * Local steps only: the server's time of the workflow task that scheduled the step, the version its
   * files are stamped with (lake/commit.ts). An activity's version is its attempt's schedule time.
   */
  scheduledMs?: number;
}

/** An operator's override, recorded with the run it concerns and in `meta.overrides`. */
export interface OverrideRecord {
  kind: (typeof OVERRIDE_KINDS)[number];
  reason: string;
  by: string;
  at: string;
}

/**
 * Files a step staged for the next one, as paths relative to the lake root, inside the run's own
 * staging folder (`staging/<pipeline>/partition_key=<D>/run_id=<run>/`). The workflow hands them on,
 * so each step reads exactly what the step before it wrote, and the history shows it.
 */
export interface IngestStaged {
  /** The run's snapshot of the landed files, in landing order: what transform reads, whatever lands later. */
  files: { path: string; bytes: number }[];
}

export interface TransformInput extends StepInput {
  ingested: IngestStaged;
  /** A `python` transform: what its step on the Python worker made, for transform to finish. */
  produced?: PythonTransformResult;
}

export interface PublishInput extends StepInput {
  /** The validated, de-duplicated rows: the partition's file-to-be. */
  clean: string;
}

export interface StepMetrics {
  attempt: number;
  durationMs: number;
}

export interface ReadinessResult extends StepMetrics {
  files: number;
  bytes: number;
}

/** A landed file as ingest snapshotted it. */
export interface LandedFileRecord {
  name: string;
  bytes: number;
  sha256: string;
}

/** What transform found in a file: well-formed rows, and lines that were not well-formed CSV. */
export interface FileRowCounts {
  name: string;
  rows: number;
  malformedRows: number;
}

/** The upstream run a downstream partition read (the run that published that upstream partition). */
export interface UpstreamRef {
  pipeline: string;
  partition: string;
  /** Null when the upstream file carries no run stamp. */
  runId: string | null;
}

export interface IngestResult extends StepMetrics {
  files: LandedFileRecord[];
  staged: IngestStaged;
  bytes: number;
  /** A downstream pipeline's: the upstream partitions it read, and which run had published each. */
  upstream?: UpstreamRef[];
}

export interface TransformResult extends StepMetrics {
  files: FileRowCounts[];
  rowsIn: number;
  rowsValid: number;
  rowsRejected: number;
  rowsDuplicate: number;
  rowsOut: number;
  /** The clean rows, staged for publish (lake-relative). */
  staged: string;
  /** The transform that made them, and what ran it (the run record's `transform`). */
  transform: NonNullable<RunRecord['transform']>;
  /** The definition's checks of the staged rows (the run record's `checks`). */
  checks: RunRecord['checks'];
}

export interface PublishResult extends StepMetrics {
  rowsPublished: number;
}

export type RowCounts = z.infer<typeof rowCountsSchema>;

/** Why a partition run failed: class, step and reason, plus evidence for data failures. */
export type PartitionFailure = z.infer<typeof partitionFailureSchema>;

export type PartitionRunResult = z.infer<typeof partitionRunResultSchema>;
