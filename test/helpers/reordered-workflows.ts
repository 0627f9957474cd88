/**
 * For test/replay.test.ts only: `partitionPipeline` with its steps out of order (transform before
 * ingest). Replaying a recorded history against it must fail, which shows the replay test catches a
 * changed command sequence.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ConveyorActivities } from '../../activities';
import type { PartitionRunInput } from '../../workflows/partition-input';

const { transform, ingest } = proxyActivities<ConveyorActivities>({ startToCloseTimeout: '1 minute' });

export async function partitionPipeline(input: PartitionRunInput): Promise<void> {
  const step = { pipeline: input.pipeline, partition: input.partition, snapshot: { name: input.pipeline, definition: {} } };
  await transform({ ...step, ingested: { files: [] } });
  await ingest(step);
}
