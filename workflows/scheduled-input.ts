/**
 * The input a pipeline's Schedule gives each run it starts (`scheduledPartition`): which pipeline, and
 * how its partitions become available (to tell which partition a scheduled time is for). The partition
 * runs it starts resolve their settings from the definition themselves.
 * Pure: safe to import from workflow code.
 */
import { z } from 'zod';
import { partitionsSchema } from '../common/partitions';
import { partitionRunInputSchema } from './partition-input';

export const scheduledPartitionInputSchema = partitionRunInputSchema
  .pick({ pipeline: true })
  .extend({ partitions: partitionsSchema })
  .strict();

export type ScheduledPartitionInput = z.input<typeof scheduledPartitionInputSchema>;
export type ScheduledPartitionParams = z.output<typeof scheduledPartitionInputSchema>;
