/** The module of each source kind: the one place that maps a pipeline's `source.kind` to its code. */
import type { PipelineDefinition } from '../definitions/definition';
import { filesSource } from './files';
import type { SourceDefinition } from '../definitions/source-schema';
import type { SourceModule } from './source';
import { upstreamSource } from './upstream';
import { functionSource } from './function';

const MODULES: { [K in SourceDefinition['kind']]: SourceModule<Extract<SourceDefinition, { kind: K }>> } = {
  files: filesSource,
  upstream: upstreamSource,
  function: functionSource,
};

/** The pipeline's source with the module that runs it. */
export function sourceOf(pipeline: PipelineDefinition): { source: SourceDefinition; module: SourceModule<SourceDefinition> } {
  return { source: pipeline.source, module: MODULES[pipeline.source.kind] as SourceModule<SourceDefinition> };
}
