/** The run's snapshot as a transform outside DuckDB's views is told it: by the name the pipeline's SQL would give each input. */
import { inputsByView } from '../common/inputs';
import type { PipelineDefinition } from '../definitions/definition';
import { viewNameOf } from '../definitions/source-schema';

/** `raw` (landed files, a function's rows), or each upstream input's view name: its files. */
export function inputsOf(pipeline: PipelineDefinition, files: string[]): Record<string, string[]> {
  return inputsByView(pipeline.source.kind === 'upstream' ? pipeline.source.inputs.map(viewNameOf) : null, files);
}
