/** A bench-only pipeline whose steps are no-ops (stubbed activities) and whose history starts in 1900. */
import { definePipeline } from '../pipelines/definition';
import { ordersPipeline } from '../pipelines/orders/definition';

export const benchNoopPipeline = definePipeline({
  ...ordersPipeline,
  name: 'bench_noop',
  description: 'No-op steps, for measuring orchestration overhead.',
  partitions: { kind: 'daily', first: '1900-01-01', lag: 1 },
});
