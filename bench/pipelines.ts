/** A bench-only pipeline whose steps are no-ops (stubbed activities) and whose history starts in 1900. */
import { definePipeline } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';

export const benchNoopPipeline = definePipeline({
  ...ordersPipeline,
  name: 'bench_noop',
  description: 'No-op steps, for measuring orchestration overhead.',
  partitions: { kind: 'daily', first: '1900-01-01', lag: 1 },
});

/** The same no-op steps, keyed by the hour: hourly backfills against daily ones in the same run. */
export const benchNoopHourlyPipeline = definePipeline({
  ...benchNoopPipeline,
  name: 'bench_noop_hourly',
  description: 'No-op steps, hourly partitions.',
  partitions: { kind: 'hourly', first: '1900-01-01T00', lag: 1 },
  schedule: { at: ':15', catchupWindowDays: 1, overlap: 'allow_all' },
});

/** The pipelines whose steps the bench worker stubs out. */
export const NOOP_PIPELINES: ReadonlySet<string> = new Set([benchNoopPipeline.name, benchNoopHourlyPipeline.name]);

/** The orders pipeline reading the same rows landed as JSON lines, and as Parquet: the formats compared. */
const ordersAs = (format: 'jsonl' | 'parquet') =>
  definePipeline({
    ...ordersPipeline,
    name: `orders_${format}`,
    description: `orders, landed as ${format}.`,
    source: { ...(ordersPipeline.source as Extract<typeof ordersPipeline.source, { kind: 'files' }>), format, filePattern: new RegExp(`^part-\\d+\\.${format}$`) },
  });
export const ordersJsonlPipeline = ordersAs('jsonl');
export const ordersParquetPipeline = ordersAs('parquet');
