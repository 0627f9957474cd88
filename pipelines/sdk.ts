/**
 * `conveyor/pipeline`: everything a pipeline folder's files import from Conveyor, and the only thing
 * they import from it (the layer rules check it). Inside this checkout the package resolves its own
 * name (package.json "exports"); in a team's folder (CONVEYOR_PIPELINES_DIR) Conveyor resolves it when
 * it loads the folder (definitions/definition-import.ts): no build step, no relative path into Conveyor.
 */
export { definePipeline, loadSql, partitionSchemeOf, sqlList, sqlOf, upstreamOf, type PipelineDeclaration, type PipelineDefinition } from '../definitions/definition';
export { deploymentRegistry, type PipelineRegistry } from '../definitions/registry';
export type { PartitionsDeclaration } from '../common/partitions';
export { clearLanded, pad, pick, prng, seedOf, writeLanded, writeMarker, type GenerateRequest, type GeneratorFault, type SampleGenerator } from '../definitions/generator';
export { filesSourceOf, partitionLandingDir } from '../sources/files';
export { mappedPartitions } from '../sources/upstream';
export { withDuckDB } from '../lake/duckdb';
export { checkPipelineSample, type SampleCheck } from './check';
export { HttpError, SourceDataError } from '../common/classify';
export type { SourceFunction, SourceFunctionContext } from '../definitions/source-schema';
