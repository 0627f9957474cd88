/** The orders partitions the real, formats and workers sections of `npm run bench` land and run. */
import type { Client } from '@temporalio/client';
import { addDays } from '../common/partition-key';
import type { PartitionRunResult } from '../common/run-types';
import { partitionWorkflowId } from '../common/workflow-ids';

/** `count` days from `from`, in order. */
export function daysFrom(from: string, count: number): string[] {
  const to = addDays(from, count - 1);
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/** Each partition's own result: its row counts and step durations (what its manifest holds). */
export function partitionResults(client: Client, pipeline: string, days: string[]): Promise<PartitionRunResult[]> {
  return Promise.all(days.map((d) => client.workflow.getHandle(partitionWorkflowId(pipeline, d)).result() as Promise<PartitionRunResult>));
}
