/**
 * What every transform kind provides (one module per kind in this folder): given the run's snapshot,
 * leave the partition's rows in the table `validated` of the step's DuckDB session, shaped as the
 * definition's table (plus, optionally, `reject_reason`, `source_file` and `record_no`). The generic
 * transform step (activities/transform.ts) then checks the columns, drops duplicates, stages the
 * clean rows and the rejects, runs the checks, and publish commits them: the same for every kind.
 */
import type { DuckSession } from '../lake/duckdb';
import type { PipelineDefinition } from '../definitions/definition';
import type { TransformDefinition } from '../definitions/transform-schema';
import type { CheckResult } from '../common/run-contract';
import type { PythonTransformResult } from '../common/run-types';
import type { InputsInfo, SourceDeps } from '../sources/source';

export interface TransformCall<T extends TransformDefinition> {
  db: DuckSession;
  deps: SourceDeps;
  pipeline: PipelineDefinition;
  transform: T;
  partition: string;
  runId: string;
  /** The run's snapshot of its input (landed files, or upstream partitions' files). */
  files: string[];
  /** `$pipeline`, `$partition`, `$run_id`, and a time partition's `$partition_start` / `$partition_end`. */
  params: Record<string, string>;
  /** Where this attempt may write what the kind makes (names tagged with `fileTag`). */
  stagingDir: string;
  fileTag: string;
  /** Say it is alive (a kind that runs a while), and stop when the run is cancelled. */
  heartbeat(details?: unknown): void;
  signal: AbortSignal;
  /** A `python` transform: what its step on the Python worker made (lake-relative files). */
  produced?: PythonTransformResult;
}

/** What a kind's run leaves besides its rows: how the inputs count, and the results of its own tests (a dbt project's). */
export type TransformRun = InputsInfo & { checks?: CheckResult[] };

export interface TransformModule<T extends TransformDefinition> {
  /** Leave the partition's rows in `validated` (and lines that could not be parsed in `malformed`). */
  run(call: TransformCall<T>): Promise<TransformRun>;
  /** The engine that ran and its version, for the run record (e.g. `duckdb v1.5.6`). */
  engine(call: TransformCall<T>): Promise<string>;
  /** Whether its steps may run as local activities (in the workflow task): only kinds that run briefly in this process. */
  runsInProcess: boolean;
  /** Why a worker cannot run it here (its tool is not installed: one line naming the command that installs it), or undefined. */
  unavailable?(): string | undefined;
}
