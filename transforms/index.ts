/** The module of each transform kind: the one place that maps a pipeline's `transform.kind` to its code. */
import type { PipelineDefinition } from '../definitions/definition';
import type { TransformDefinition } from '../definitions/transform-schema';
import { commandTransform } from './command';
import { sqlTransform } from './sql';
import type { TransformModule } from './transform';

const MODULES: { [K in TransformDefinition['kind']]: TransformModule<Extract<TransformDefinition, { kind: K }>> } = {
  sql: sqlTransform,
  command: commandTransform,
};

/** The pipeline's transform with the module that runs it. */
export function transformOf(pipeline: Pick<PipelineDefinition, 'transform'>): { transform: TransformDefinition; module: TransformModule<TransformDefinition> } {
  return { transform: pipeline.transform, module: MODULES[pipeline.transform.kind] as TransformModule<TransformDefinition> };
}

/** How a failure names what ran: `the SQL of orders`, `the command ./transform.py of orders`. */
export function describeTransform(pipeline: Pick<PipelineDefinition, 'name' | 'transform'>): string {
  const t = pipeline.transform;
  return t.kind === 'sql' ? `the SQL of ${pipeline.name}` : `the command ${t.command[0]} of ${pipeline.name}`;
}
