/**
 * How a partition run tells interested workflows (backfills) that it finished. Children report by
 * signal because a parent cannot await children started by an earlier run of itself (continue-as-new).
 * Pure: workflow-safe definitions, also imported by clients.
 */
import { defineSignal } from '@temporalio/workflow';
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
