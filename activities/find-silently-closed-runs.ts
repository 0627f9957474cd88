/**
 * findSilentlyClosedRuns: which of a backfill's running partitions have closed without a word.
 *
 * A partition run that completes, fails or is cancelled reports to its backfill before it closes.
 * One that is terminated (by an operator) or times out cannot, so a backfill run that did not start it
 * — and so cannot see its result — would wait for it forever. The backfill asks this now and then.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CarriedChild, SilentlyClosedRun } from '../workflows/backfill-input';

const SILENT_CLOSES = new Set(['TERMINATED', 'TIMED_OUT']);

export function makeFindSilentlyClosedRuns() {
  return async function findSilentlyClosedRuns(children: CarriedChild[]): Promise<SilentlyClosedRun[]> {
    const { client } = Context.current();
    const closed: SilentlyClosedRun[] = [];
    for (const child of children) {
      try {
        // An empty run id means the backfill attached to a run it did not start: look at the latest.
        const { status } = await client.workflow.getHandle(child.workflowId, child.runId || undefined).describe();
        if (SILENT_CLOSES.has(status.name)) closed.push({ ...child, status: status.name === 'TERMINATED' ? 'terminated' : 'timed out' });
      } catch (err) {
        // Gone past retention: it closed long ago, and any report it sent has been counted.
        if (err instanceof WorkflowNotFoundError) closed.push({ ...child, status: 'not found' });
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
