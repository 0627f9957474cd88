/**
 * backfillPlan: the dry run of a backfill — which partitions it would run and why, planned by the
 * same activity from the same durable records, starting nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ConveyorActivities } from '../activities';
import { workStepRetryPolicy } from '../common/failure-classes';
import type { BackfillChunk, BackfillPlanInput, PlannedPartition, WaivedPartition } from './backfill-input';

export type { BackfillPlanInput };

const { planBackfillChunk } = proxyActivities<ConveyorActivities>({
  startToCloseTimeout: '2 minutes',
  retry: workStepRetryPolicy(10),
});

export interface BackfillPlan {
  partitions: PlannedPartition[];
  skipped: number;
  /** Partitions an operator waived: not run, shown as skipped with who, when and why. */
  waived: WaivedPartition[];
}

export async function backfillPlan(input: BackfillPlanInput): Promise<BackfillPlan> {
  const plan: BackfillPlan = { partitions: [], skipped: 0, waived: [] };
  let cursor: string | null = input.order === 'oldest-first' ? input.from : input.to;
  while (cursor !== null) {
    const chunk: BackfillChunk = await planBackfillChunk({ ...input, cursor, limit: 1000 });
    plan.partitions.push(...chunk.partitions);
    plan.skipped += chunk.skipped;
    plan.waived.push(...(chunk.waived ?? []));
    cursor = chunk.nextCursor;
  }
  return plan;
}
