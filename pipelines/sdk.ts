/**
 * What a pipeline folder's files import. Inside this checkout: `from '../sdk'`; in a team's own folder
 * or repository (CONVEYOR_PIPELINES_DIR): `from 'conveyor/pipeline'`, which Conveyor resolves to this
 * file (definitions/definition-import.ts): no build step, no relative path into Conveyor's tree.
 */
export { definePipeline, loadSql, partitionSchemeOf, sqlList, type PipelineDeclaration, type PipelineDefinition } from '../definitions/definition';
export type { PartitionsDeclaration } from '../common/partitions';
export { clearLanded, pad, pick, prng, seedOf, writeLanded, writeMarker, type GenerateRequest, type GeneratorFault, type SampleGenerator } from '../definitions/generator';
export { partitionLandingDir } from '../sources/files';
export { withDuckDB } from '../lake/duckdb';
export { checkPipelineSample, type SampleCheck } from './check';
export { HttpError, SourceDataError } from '../common/classify';
export type { SourceFunction, SourceFunctionContext } from '../definitions/source-schema';
