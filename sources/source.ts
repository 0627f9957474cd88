/**
 * What every source kind provides, and the module of each kind. The generic steps (awaitLanding,
 * ingest, transform) and the client's pre-checks ask the pipeline's source module; nothing else
 * branches on the kind.
 */
import type { FailureClass } from '../common/failure-classes';
import type { LandedFileRecord, UpstreamRef } from '../common/run-types';
import type { DuckSession } from '../lake/duckdb';
import type { PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';
import type { CopyOf, FileArea } from '../lake/area';
import type { LakeLayout } from '../lake/layout';
import type { SourceDefinition } from '../definitions/source-schema';

/** What a source module may use of its process. */
export interface SourceDeps {
  registry: PipelineRegistry;
  /** The landing zone (a folder, or a bucket prefix cached under its root). */
  landing: FileArea;
  lake: LakeLayout;
}

export type Readiness =
  | { ready: true; files: number; bytes: number }
  | { ready: false; failureClass: Extract<FailureClass, 'dependency' | 'data'>; why: string };

export interface SourceCall<S extends SourceDefinition> {
  deps: SourceDeps;
  pipeline: PipelineDefinition;
  source: S;
  partition: string;
  /** An operator forced the run past readiness: take what is there. */
  force?: boolean;
}

export interface SourceRunContext<S extends SourceDefinition> extends SourceCall<S> {
  ctx: { step: 'ingest'; attempt: number; /** Names what this attempt writes in staging (StepContext.fileTag). */ fileTag: string };
  /** The run's own staging folder: the snapshot goes under it. */
  stagingDir: string;
}

/** A file of the run's snapshot: where the copy is, and what it was. */
export interface SnapshotEntry extends LandedFileRecord {
  path: string;
  /** The file it is a copy of (in the landing zone, or the lake): staging it in S3 may then copy it server-side. */
  copyOf?: CopyOf;
}

/** How the pipeline's SQL sees the inputs once they are defined. */
export interface InputsInfo {
  /** A rejected row's raw record: rebuilt from `raw` (one raw row per validated row), or the validated row itself. */
  rejectRecord: 'raw' | 'validated';
  /** The columns of `raw` (for the reject record). */
  rawColumns: readonly string[];
  /** Rows per snapshot file: counted in `validated` (one row per input row), or by this SQL (source_file, n). */
  rowsPerFile: 'validated' | { sql: string };
  /** Run after validation (the scans that find malformed lines run then). */
  afterValidation?: (db: DuckSession) => Promise<unknown>;
  /**
   * Validation failed reading the inputs (a fast reader met a line it cannot parse): redefine them
   * the slow way that turns such lines into rejects, or undefined when the error is not of that kind.
   */
  fallback?: (db: DuckSession, err: unknown) => Promise<InputsInfo | undefined>;
}

export interface SourceModule<S extends SourceDefinition> {
  /**
   * Is the partition's input all there? Not ready is a dependency (wait) or data (it will not come
   * right) failure. A few stats on a range of keys (HEADs on S3), so a CLI can check before it connects.
   */
  readiness(call: SourceCall<S>): Promise<Readiness>;
  /** Copy the partition's input into the run's staging folder: from here on the run reads only its snapshot. */
  snapshot(run: SourceRunContext<S>): Promise<{ files: SnapshotEntry[]; upstream?: UpstreamRef[] }>;
  /** Define the views the pipeline's SQL reads (`raw`, or one per upstream input) over the snapshot, and `malformed`. */
  defineInputs(db: DuckSession, call: SourceCall<S> & { step: 'transform'; registry: PipelineRegistry }, files: string[]): Promise<InputsInfo>;
}
