/**
 * The input a pipeline's Schedule gives each run it starts (`scheduledPartition`): which pipeline,
 * how its partitions become available, and the partition run's settings, all from the definition.
 * Pure: safe to import from workflow code.
 */
import { z } from 'zod';
import { partitionRunInputSchema } from './partition-input';

export const scheduledPartitionInputSchema = partitionRunInputSchema
  .pick({ pipeline: true, readiness: true, steps: true })
  .extend({ availabilityLagDays: z.number().int().min(0).max(30) });

export type ScheduledPartitionInput = z.infer<typeof scheduledPartitionInputSchema>;
