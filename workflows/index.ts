/** Every workflow type the Conveyor worker registers. */
export { partitionPipeline } from './partition-pipeline';
export { backfillPipeline } from './backfill';
export { backfillPlan } from './backfill-plan';
export { scheduledPartition } from './scheduled-partition';
export { pipelineMonitor } from './pipeline-monitor';
