/** The module of each source kind: the one place that maps a pipeline's `source.kind` to its code. */
import type { DuckSession } from '../lake/duckdb';
import type { PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';
import { filesSource } from './files';
import type { SourceDefinition } from '../definitions/source-schema';
import type { InputsInfo, SourceCall, SourceModule } from './source';
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

/**
 * Define the pipeline's inputs over the snapshot files and run its validation SQL into the table
 * `validated`: the one sequence a run's transform and a pipeline's own test share. When the source's
 * fast reader fails on a line it cannot parse, the source redefines its inputs the slow way (the bad
 * lines become rejects) and validation runs once more.
 */
export async function validateInputs(
  db: DuckSession,
  call: SourceCall<SourceDefinition> & { step: 'transform'; registry: PipelineRegistry },
  files: string[],
  params: Record<string, string>,
): Promise<InputsInfo> {
  const { module } = sourceOf(call.pipeline);
  const validate = `CREATE TEMP TABLE validated AS ${call.pipeline.table.validateSql}`;
  let inputs = await module.defineInputs(db, call, files);
  try {
    await db.run(validate, params);
  } catch (err) {
    const slow = await inputs.fallback?.(db, err);
    if (!slow) throw err;
    inputs = slow;
    await db.run(validate, params);
  }
  await inputs.afterValidation?.(db);
  return inputs;
}
