/** The module of each transform kind: the one place that maps a pipeline's `transform.kind` to its code. */
import { Unavailable } from '../common/errors';
import type { PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';
import type { TransformDefinition } from '../definitions/transform-schema';
import { commandTransform } from './command';
import { dbtTransform } from './dbt';
import { pythonTransform } from './python';
import { sparkTransform } from './spark';
import { sqlTransform } from './sql';
import type { TransformModule } from './transform';

const MODULES: { [K in TransformDefinition['kind']]: TransformModule<Extract<TransformDefinition, { kind: K }>> } = {
  sql: sqlTransform,
  command: commandTransform,
  dbt: dbtTransform,
  python: pythonTransform,
  spark: sparkTransform,
};

/** The pipeline's transform with the module that runs it. */
export function transformOf(pipeline: Pick<PipelineDefinition, 'transform'>): { transform: TransformDefinition; module: TransformModule<TransformDefinition> } {
  return { transform: pipeline.transform, module: MODULES[pipeline.transform.kind] as TransformModule<TransformDefinition> };
}

/** How a failure names what ran: `the SQL of orders`, `the command ./transform.py of orders`. */
export function describeTransform(pipeline: Pick<PipelineDefinition, 'name' | 'transform'>): string {
  const t = pipeline.transform;
  if (t.kind === 'sql') return `the SQL of ${pipeline.name}`;
  if (t.kind === 'python') return `the Python function ${t.function} of ${pipeline.name}`;
  if (t.kind === 'spark') return `the Spark job ${t.job} of ${pipeline.name}`;
  return t.kind === 'dbt' ? `the dbt model ${t.model} of ${pipeline.name}` : `the command ${t.command[0]} of ${pipeline.name}`;
}

/** The tools a worker needs were not installed: it refuses to start, in one line. */
export class TransformToolMissing extends Unavailable {
  override name = 'TransformToolMissing';
}

/** Refuse, in one line, a worker that could not run a deployed pipeline's transform (its tool is not installed). */
export function assertTransformsRunnable(registry: Pick<PipelineRegistry, 'all'>): void {
  for (const pipeline of registry.all()) {
    const why = transformOf(pipeline).module.unavailable?.();
    if (why) throw new TransformToolMissing(`pipeline ${pipeline.name} transforms with ${pipeline.transform.kind}, but ${why}`);
  }
}
