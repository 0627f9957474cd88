/**
 * The pipelines this deployment knows. Lookups by name give a one-line error listing the known ones.
 */
import { isPartitionKey, partitionAvailableAt } from '../common/partition-key';
import { PipelineDefinitionError, type PipelineDefinition } from './definition';

export class PipelineRegistry {
  private readonly byName = new Map<string, PipelineDefinition>();

  /**
   * Refuses, in one line, a pipeline defined twice, an upstream that is not defined, and a
   * dependency cycle (naming it).
   */
  constructor(pipelines: PipelineDefinition[]) {
    for (const pipeline of pipelines) {
      if (this.byName.has(pipeline.name)) throw new PipelineGraphError(`pipeline '${pipeline.name}' is defined twice`);
      this.byName.set(pipeline.name, pipeline);
    }
    for (const pipeline of pipelines) {
      for (const upstream of pipeline.upstream) {
        if (!this.byName.has(upstream)) {
          throw new PipelineGraphError(`pipeline '${pipeline.name}': unknown upstream '${upstream}' (known: ${this.names().join(', ')})`);
        }
      }
    }
    const cycle = findCycle(pipelines);
    if (cycle) throw new PipelineGraphError(`pipelines depend on each other in a cycle: ${cycle.join(' → ')}`);
  }

  /** Pipelines that read `name` directly. */
  downstreamOf(name: string): string[] {
    return this.all().filter((p) => p.upstream.includes(name)).map((p) => p.name).sort();
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

/** Pipeline definitions that do not fit together (an unknown upstream, a cycle): refused when they load. */
export class PipelineGraphError extends Error {
  override name = 'PipelineGraphError';
}

/** A dependency cycle among the pipelines (upstream edges), as names from its start back to it, or undefined. */
export function findCycle(pipelines: PipelineDefinition[]): string[] | undefined {
  const byName = new Map(pipelines.map((p) => [p.name, p]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const upstream of byName.get(name)?.upstream ?? []) {
      const cycle = visit(upstream);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const p of [...pipelines].sort((a, b) => a.name.localeCompare(b.name))) {
    const cycle = visit(p.name);
    if (cycle) return cycle;
  }
  return undefined;
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

/**
 * Load the deployment's pipelines, or end the process with one line saying what does not fit (a
 * bad field, an unknown upstream, a cycle): every CLI and worker loads them first. Adding a pipeline
 * is adding its folder and one line here.
 */
export function loadRegistryOrExit(load: () => PipelineDefinition[]): PipelineRegistry {
  try {
    return new PipelineRegistry(load());
  } catch (err) {
    if (err instanceof PipelineGraphError || err instanceof PipelineDefinitionError) {
      process.stderr.write(`conveyor: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export const defaultRegistry = loadRegistryOrExit(() => [
  // `require` inside the loader, so a definition that fails to parse ends here in one line.
  (require('./orders/definition') as typeof import('./orders/definition')).ordersPipeline,
  (require('./daily_revenue/definition') as typeof import('./daily_revenue/definition')).dailyRevenuePipeline,
]);
