/**
 * The pipelines this deployment knows. Lookups by name give a one-line error listing the known ones.
 */
import { isPartitionKey, partitionAvailableAt } from '../common/partition-key';
import type { PipelineDefinition } from './definition';
import { ordersPipeline } from './orders/definition';

export class PipelineRegistry {
  private readonly byName = new Map<string, PipelineDefinition>();

  constructor(pipelines: PipelineDefinition[]) {
    for (const pipeline of pipelines) {
      if (this.byName.has(pipeline.name)) throw new Error(`pipeline '${pipeline.name}' is defined twice`);
      this.byName.set(pipeline.name, pipeline);
    }
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): PipelineDefinition[] {
    return [...this.byName.values()];
  }

  find(name: string): PipelineDefinition | undefined {
    return this.byName.get(name);
  }

  get(name: string): PipelineDefinition {
    const pipeline = this.byName.get(name);
    if (!pipeline) throw new InputError(`unknown pipeline '${name}' (known: ${this.names().join(', ')})`);
    return pipeline;
  }
}

/** A bad value from a user or caller: shown as one line, never as a stack trace. */
export class InputError extends Error {
  override name = 'InputError';
}

/** The newest partition of `pipeline` whose data can exist at `nowMs` (see `availabilityLagDays`). */
export function latestAvailablePartition(pipeline: PipelineDefinition, nowMs: number): string {
  return partitionAvailableAt(nowMs, pipeline.availabilityLagDays);
}

/** Check that `partition` is a partition key (a real date, YYYY-MM-DD); throws a one-line {@link InputError}. */
export function assertPartitionKey(partition: string): void {
  if (!isPartitionKey(partition)) {
    throw new InputError(`partition '${partition}' is not a valid date (expected YYYY-MM-DD, e.g. 2024-03-01)`);
  }
}

/** Check that `partition` is a date within the pipeline's availability; throws a one-line {@link InputError}. */
export function assertPartitionAvailable(pipeline: PipelineDefinition, partition: string, nowMs: number): void {
  assertPartitionKey(partition);
  if (partition < pipeline.firstPartition) {
    throw new InputError(
      `partition ${partition} is before ${pipeline.name}'s first partition ${pipeline.firstPartition}`,
    );
  }
  const latest = latestAvailablePartition(pipeline, nowMs);
  if (partition > latest) {
    throw new InputError(
      `partition ${partition} of ${pipeline.name} is not available yet (latest available: ${latest}; ` +
        `a day's data lands ${pipeline.availabilityLagDays} day(s) after it starts, UTC)`,
    );
  }
}

export const defaultRegistry = new PipelineRegistry([ordersPipeline]);
