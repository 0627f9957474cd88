/** The run's snapshot as a transform outside DuckDB's views is told it: by the name the pipeline's SQL would give each input. */
import path from 'node:path';
import type { PipelineDefinition } from '../definitions/definition';
import { viewNameOf } from '../definitions/source-schema';

/** `raw` (landed files, a function's rows), or each upstream input's view name: its files. */
export function inputsOf(pipeline: PipelineDefinition, files: string[]): Record<string, string[]> {
  if (pipeline.source.kind !== 'upstream') return { raw: files };
  return Object.fromEntries(pipeline.source.inputs.map((input) => [viewNameOf(input), files.filter((f) => path.basename(path.dirname(f)) === viewNameOf(input))]));
}
