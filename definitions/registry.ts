/**
 * The pipelines this deployment knows. Lookups by name give a one-line error listing the known ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors';
import { PartitionKeyError } from '../common/partitions';
import { mappingError } from '../common/mapping';
import type { SampleGenerator } from './generator';
import { installDefinitionImport } from './definition-import';
import { isPipelineDefinition, partitionSchemeOf, PipelineDefinitionError, upstreamOf, type PipelineDefinition } from './definition';

export class PipelineRegistry {
  private readonly byName = new Map<string, PipelineDefinition>();

  /**
   * Refuses, in one line, a pipeline defined twice, an upstream that is not defined, and a
   * dependency cycle (naming it).
   */
  constructor(pipelines: PipelineDefinition[], private readonly folders: ReadonlyMap<PipelineDefinition, string> = new Map()) {
    const where = (p: PipelineDefinition) => (folders.has(p) ? `${shownFolder(folders.get(p)!)}: ` : '');
    for (const pipeline of pipelines) {
      const twin = this.byName.get(pipeline.name);
      if (twin) {
        const places = [twin, pipeline].map((p) => folders.get(p)).filter((f): f is string => f !== undefined).map(shownFolder);
        throw new PipelineGraphError(`pipeline '${pipeline.name}' is defined twice${places.length ? ` (in ${places.join(' and in ')})` : ''}`);
      }
      this.byName.set(pipeline.name, pipeline);
    }
    for (const pipeline of pipelines) {
      for (const input of pipeline.source.kind === 'upstream' ? pipeline.source.inputs : []) {
        const upstream = this.byName.get(input.pipeline);
        if (!upstream) {
          throw new PipelineGraphError(`${where(pipeline)}pipeline '${pipeline.name}': unknown upstream '${input.pipeline}' (known: ${this.names().join(', ')})`);
        }
        const misfit = mappingError(partitionSchemeOf(pipeline), partitionSchemeOf(upstream), input);
        if (misfit) throw new PipelineGraphError(`${where(pipeline)}pipeline '${pipeline.name}': ${misfit}`);
      }
    }
    const cycle = findCycle(pipelines);
    if (cycle) throw new PipelineGraphError(`pipelines depend on each other in a cycle: ${cycle.join(' → ')}`);
  }

  /** Pipelines that read `name` directly. */
  downstreamOf(name: string): string[] {
    return this.all().filter((p) => upstreamOf(p).includes(name)).map((p) => p.name).sort();
  }

  /** The folder a discovered pipeline was loaded from (undefined for one handed in directly). */
  folderOf(name: string): string | undefined {
    const pipeline = this.byName.get(name);
    return pipeline ? this.folders.get(pipeline) : undefined;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Every pipeline after the pipelines it reads (by name among equals): the order a change flows down. */
  upstreamFirst(): PipelineDefinition[] {
    const placed = new Set<string>();
    const order: PipelineDefinition[] = [];
    const visit = (p: PipelineDefinition) => {
      if (placed.has(p.name)) return;
      placed.add(p.name);
      for (const name of upstreamOf(p)) visit(this.get(name));
      order.push(p);
    };
    for (const name of this.names()) visit(this.get(name));
    return order;
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

/** A folder as errors show it: relative to the working directory when inside it. */
function shownFolder(folder: string): string {
  const relative = path.relative(process.cwd(), folder);
  return relative && !relative.startsWith('..') ? relative : folder;
}

/** Pipeline definitions that do not fit together (an unknown upstream, a cycle): refused when they load. */
export class PipelineGraphError extends InputError {
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
    const pipeline = byName.get(name);
    for (const upstream of pipeline ? upstreamOf(pipeline) : []) {
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

/** The newest partition of `pipeline` whose data can exist at `nowMs` (see its `partitions.lag`). */
export function latestAvailablePartition(pipeline: PipelineDefinition, nowMs: number): string {
  return partitionSchemeOf(pipeline).latestAt(nowMs);
}

/** Check that `partition` is a key of the pipeline's scheme; throws a one-line {@link InputError}. */
export function assertPartitionKey(pipeline: PipelineDefinition, partition: string, what = 'partition'): void {
  try {
    partitionSchemeOf(pipeline).parse(partition, what);
  } catch (err) {
    if (err instanceof PartitionKeyError) throw new InputError(`${pipeline.name}: ${err.message}`);
    throw err;
  }
}

/** Check that `partition` is a key of the pipeline within its availability; throws a one-line {@link InputError}. */
export function assertPartitionAvailable(pipeline: PipelineDefinition, partition: string, nowMs: number): void {
  assertPartitionKey(pipeline, partition);
  const scheme = partitionSchemeOf(pipeline);
  if (scheme.indexOf(partition)! < scheme.indexOf(scheme.first)!) {
    throw new InputError(`partition ${partition} is before ${pipeline.name}'s first partition ${scheme.first}`);
  }
  const latest = latestAvailablePartition(pipeline, nowMs);
  if (scheme.isTime && partition > latest) {
    const lag = (pipeline.partitions as { lag: number }).lag;
    throw new InputError(
      `partition ${partition} of ${pipeline.name} is not available yet (latest available: ${latest}; ` +
        `a ${scheme.unit}'s data lands ${lag} ${scheme.unit}(s) after it starts, UTC)`,
    );
  }
}

/** Where Conveyor's own pipelines live; `CONVEYOR_PIPELINES_DIR` (':'-separated) adds a team's folders. */
export const BUILT_IN_PIPELINES_DIR = path.resolve(__dirname, '..', 'pipelines');

/** The folders that hold pipelines: Conveyor's, then those of `CONVEYOR_PIPELINES_DIR`. */
export function pipelineRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.CONVEYOR_PIPELINES_DIR ?? '').split(':').filter(Boolean).map((d) => path.resolve(d));
  return [BUILT_IN_PIPELINES_DIR, ...extra];
}

/**
 * Every pipeline folder under `roots` (a folder holding `definition.ts`), loaded: one registry, or a
 * one-line error naming the folder (a broken definition, two with one name, an unknown upstream, a
 * mapping that does not fit, a cycle). Nothing starts on an error.
 */
export function discoverPipelines(roots: string[]): PipelineRegistry {
  installDefinitionImport();
  const definitions: PipelineDefinition[] = [];
  const folders = new Map<PipelineDefinition, string>();
  for (const root of roots) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
      throw new PipelineGraphError(`CONVEYOR_PIPELINES_DIR ${root} is not a folder`);
    }
    for (const name of fs.readdirSync(root).sort()) {
      const folder = path.join(root, name);
      const file = path.join(folder, 'definition.ts');
      if (!fs.existsSync(file)) continue;
      const shown = shownFolder(folder);
      let exported: Record<string, unknown>;
      try {
        exported = require(file) as Record<string, unknown>;
      } catch (err) {
        const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
        throw new PipelineDefinitionError(`${shown}: ${message}`);
      }
      const found = Object.values(exported).filter(isPipelineDefinition);
      if (found.length === 0) throw new PipelineDefinitionError(`${shown}: definition.ts exports no definePipeline(...) result`);
      for (const definition of found) {
        if (folders.has(definition)) continue;
        folders.set(definition, folder);
        definitions.push(definition);
      }
    }
  }
  return new PipelineRegistry(definitions, folders);
}

let deployment: PipelineRegistry | undefined;
/**
 * The pipelines of this deployment (Conveyor's folder and `CONVEYOR_PIPELINES_DIR`), loaded on first
 * use. Throws a one-line {@link PipelineGraphError} or {@link PipelineDefinitionError}; CLIs print it.
 */
export function deploymentRegistry(): PipelineRegistry {
  return (deployment ??= discoverPipelines(pipelineRoots()));
}

/** A pipeline's sample-data generator (its folder's `generate.ts` exporting `generator`), if it has one. */
export function findGeneratorOf(registry: PipelineRegistry, name: string): SampleGenerator | undefined {
  registry.get(name);
  const folder = registry.folderOf(name);
  const file = folder && path.join(folder, 'generate.ts');
  return file && fs.existsSync(file) ? (require(file) as { generator?: SampleGenerator }).generator : undefined;
}

/** A pipeline's sample-data generator, or a one-line error naming the pipelines that have one. */
export function generatorOf(registry: PipelineRegistry, name: string): SampleGenerator {
  const generator = findGeneratorOf(registry, name);
  if (!generator) {
    const have = registry.names().filter((n) => findGeneratorOf(registry, n));
    throw new InputError(`pipeline '${name}' has no sample-data generator (a generate.ts exporting generator; pipelines with one: ${have.join(', ') || 'none'})`);
  }
  return generator;
}
