/**
 * How a partition run tells interested workflows (backfills) that it finished. Children report by
 * signal because a parent cannot await children started by an earlier run of itself (continue-as-new).
 * Pure: workflow-safe definitions, also imported by clients.
 */
import { ApplicationFailure } from '@temporalio/common';
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PartitionFailure } from '../common/run-types';

export interface PartitionFinishedReport {
  partition: string;
  workflowId: string;
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  rowsPublished?: number;
  failure?: Pick<PartitionFailure, 'failureClass' | 'step' | 'reason'>;
}

/** Sent by a partition run to each listener when it finishes, whatever the outcome. */
export const partitionFinishedSignal = defineSignal<[PartitionFinishedReport]>('partitionFinished');

/** Asks a running partition run to also report to this workflow ID (a backfill that found it running). */
export const addCompletionListenerSignal = defineSignal<[string]>('addCompletionListener');

/**
 * What a report says of a failed run: the class, step and reason its final failure carries (a
 * partition run fails with an ApplicationFailure whose details are its PartitionFailure), or
 * undefined when the failure is not one of those (e.g. the run was terminated).
 */
export function reportedFailureOf(err: unknown): PartitionFinishedReport['failure'] {
  if (!(err instanceof ApplicationFailure)) return undefined;
  const failure = err.details?.[0] as PartitionFailure | undefined;
  return failure?.failureClass ? { failureClass: failure.failureClass, step: failure.step, reason: failure.reason } : undefined;
}

/** Who asked for an operator's override of a run, when and why (recorded in the run's manifest). */
export interface OverrideStamp {
  reason: string;
  by: string;
  at: string;
}

/** The partition's data has landed (`npx conveyor notify`, the client's notifyLanded): check readiness now, not at the next poll. */
export const dataLandedSignal = defineSignal<[{ by: string; at: string }]>('dataLanded');

/**
 * An operator forces the run past its readiness wait (`npx conveyor override force`). Answers true
 * when the run was waiting for its data (and now goes on), false when it was past that.
 */
export const forceReadinessUpdate = defineUpdate<boolean, [OverrideStamp]>('forceReadiness');
