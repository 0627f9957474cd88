/**
 * findClosedRuns: the outcome of each of a backfill's watched partitions whose run has closed.
 *
 * A backfill run learns the outcome of children it started from their results. Children it carried
 * from an earlier run, or runs it attached to, report by signal, and a signal can miss: a terminated
 * or timed-out run sends none, and a run that was finishing when the backfill asked to be told had
 * already sent its reports. The backfill asks this now and then, and takes each closed run's outcome
 * from the run itself: its result, or the class, step and reason of its failure. A run's report, when
 * it does come, carries the same outcome; the backfill counts whichever arrives first, once.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { PartitionRunResult } from '../common/run-types';
import type { WatchedChild } from '../workflows/backfill-input';
import { reportedFailureOf, type PartitionFinishedReport } from '../workflows/partition-signals';

export function makeFindClosedRuns() {
  return async function findClosedRuns(children: WatchedChild[]): Promise<PartitionFinishedReport[]> {
    const { client } = Context.current();
    const closed: PartitionFinishedReport[] = [];
    for (const child of children) {
      const { partition, workflowId } = child;
      const silent = (runId: string, how: string): PartitionFinishedReport => ({
        partition, workflowId, runId, status: 'failed',
        failure: { failureClass: 'code', step: 'workflow', reason: `the partition run was ${how} before it could report` },
      });
      try {
        // An empty run id means the backfill attached to a run it did not start: look at the latest.
        const handle = client.workflow.getHandle(workflowId, child.runId || undefined);
        const { runId, status } = await handle.describe();
        switch (status.name) {
          case 'RUNNING':
          case 'CONTINUED_AS_NEW':
            break;
          case 'TERMINATED':
            closed.push(silent(runId, 'terminated'));
            break;
          case 'TIMED_OUT':
            closed.push(silent(runId, 'timed out'));
            break;
          default: {
            // Completed, failed or cancelled: its result tells the outcome it reported (or meant to).
            try {
              const result = (await client.workflow.getHandle(workflowId, runId).result()) as PartitionRunResult;
              closed.push({ partition, workflowId, runId, status: 'succeeded', rowsPublished: result.rows.published });
            } catch (err) {
              if (!(err instanceof WorkflowFailedError)) throw err;
              if (err.cause instanceof CancelledFailure) closed.push({ partition, workflowId, runId, status: 'cancelled' });
              else closed.push({ partition, workflowId, runId, status: 'failed', failure: reportedFailureOf(err.cause) ?? { failureClass: 'code', step: 'workflow', reason: err.cause?.message ?? err.message } });
            }
          }
        }
      } catch (err) {
        // Gone past retention: it closed long ago, and any report it sent has been counted.
        if (err instanceof WorkflowNotFoundError) closed.push(silent(child.runId, 'not found'));
        else throw err;
      }
    }
    return closed;
  };
}

/** How a partition's latest run stands: what a scheduled run that attached to it checks now and then. */
export interface LatestRunStatus {
  runId: string | null;
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out' | 'not found';
}

export function makeLatestRunStatus() {
  return async function latestRunStatus(workflowId: string): Promise<LatestRunStatus> {
    const { client } = Context.current();
    try {
      const { runId, status } = await client.workflow.getHandle(workflowId).describe();
      const byName: Record<string, LatestRunStatus['status']> = {
        RUNNING: 'running', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', TERMINATED: 'terminated', TIMED_OUT: 'timed out', CONTINUED_AS_NEW: 'running',
      };
      return { runId, status: byName[status.name] ?? 'failed' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { runId: null, status: 'not found' };
      throw err;
    }
  };
}
