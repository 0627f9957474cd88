/**
 * Shapes exchanged between the partition workflow, its activities and clients. Types only: safe for workflow code.
 */
import type { FailureClass } from './failure-classes';
import type { RunKind } from './search-attributes';

export const STEP_NAMES = ['awaitLanding', 'ingest', 'transform', 'publish'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** What every step activity is called with. Workflow and run ids come from the activity's own context. */
export interface StepInput {
  pipeline: string;
  partition: string;
}

export interface StepMetrics {
  attempt: number;
  durationMs: number;
}

export interface ReadinessResult extends StepMetrics {
  files: number;
  bytes: number;
}

export interface IngestedFile {
  name: string;
  bytes: number;
  sha256: string;
  rows: number;
  malformedRows: number;
}

export interface IngestResult extends StepMetrics {
  files: IngestedFile[];
  rowsRead: number;
  rowsMalformed: number;
}

export interface TransformResult extends StepMetrics {
  rowsIn: number;
  rowsValid: number;
  rowsRejected: number;
  rowsDuplicate: number;
  rowsOut: number;
}

export interface PublishResult extends StepMetrics {
  rowsPublished: number;
}

export interface RowCounts {
  in: number;
  rejected: number;
  duplicate: number;
  published: number;
}

/** Why a partition run failed: class, step and reason, plus evidence for data failures. */
export interface PartitionFailure {
  failureClass: FailureClass;
  step: StepName | 'workflow';
  reason: string;
  attempt?: number;
  rejectedRows?: number;
  totalRows?: number;
  sampleReasons?: string[];
}

/** One row of the run manifest (`meta.partition_runs`). */
export interface RunManifest {
  pipeline: string;
  partition: string;
  workflowId: string;
  runId: string;
  runKind: RunKind;
  backfillId?: string;
  status: 'succeeded' | 'failed';
  failure?: PartitionFailure;
  rows: Partial<RowCounts>;
  files: IngestedFile[];
  attempts: Partial<Record<StepName, number>>;
  durationsMs: Partial<Record<StepName, number>>;
  startedAt: string;
}

export interface PartitionRunResult {
  pipeline: string;
  partition: string;
  workflowId: string;
  runId: string;
  runKind: RunKind;
  status: 'succeeded';
  rows: RowCounts;
  files: number;
  attempts: Record<StepName, number>;
  durationsMs: Record<StepName, number>;
}
