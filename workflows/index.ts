/** Every workflow type the Conveyor worker registers. */
export { partitionPipeline } from './partition-pipeline';
