/**
 * The input a pipeline's Schedule gives each run it starts (`scheduledPartition`): which pipeline,
 * how its partitions become available, and the partition run's settings, all from the definition.
 * Pure: safe to import from workflow code.
 */
import { z } from 'zod';
import { partitionsSchema } from '../common/partitions';
import { partitionRunInputSchema } from './partition-input';

export const scheduledPartitionInputSchema = partitionRunInputSchema
  .pick({ pipeline: true, readiness: true, steps: true })
  .extend({ partitions: partitionsSchema });

export type ScheduledPartitionInput = z.input<typeof scheduledPartitionInputSchema>;
export type ScheduledPartitionParams = z.output<typeof scheduledPartitionInputSchema>;
