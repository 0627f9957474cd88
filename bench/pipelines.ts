/** A bench-only pipeline whose steps are no-ops (stubbed activities) and whose history starts in 1900. */
import path from 'node:path';
import { definePipeline } from '../definitions/definition';
import { PipelineRegistry } from '../definitions/registry';
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

/** Where the kinds section's dbt project and Python function are (bench/kinds/). */
export const KINDS_FOLDER = path.join(__dirname, 'kinds');

/** The same per-currency totals of the landed orders, made by each kind of transform: the kinds section. */
const totalsBy = (kind: string, transform: Parameters<typeof definePipeline>[0]['transform']) =>
  definePipeline({
    ...ordersPipeline,
    name: `bench_totals_${kind}`,
    description: `Orders and revenue per currency, by ${kind}.`,
    table: { columns: [{ name: 'currency', type: 'VARCHAR' }, { name: 'orders', type: 'BIGINT' }, { name: 'revenue', type: 'DECIMAL(18,2)' }], uniqueKey: ['currency'] },
    transform,
    checks: [],
  });
export const TOTALS_SQL = 'SELECT currency, count(*) AS orders, sum(CAST(amount AS DECIMAL(18,2))) AS revenue FROM raw GROUP BY currency';
export const BENCH_PYTHON_TASK_QUEUE = 'bench-python';
export const KIND_PIPELINES = [
  totalsBy('sql', { kind: 'sql', sql: TOTALS_SQL }),
  totalsBy('dbt', { kind: 'dbt', model: 'bench_totals' }),
  totalsBy('python', { kind: 'python', function: 'totals:totals', taskQueue: BENCH_PYTHON_TASK_QUEUE }),
] as const;

/** The bench's pipelines; with the kinds section's (`kinds`: they need the Python environment), each in its folder. */
export function benchRegistry(kinds: boolean): PipelineRegistry {
  const base = [ordersPipeline, benchNoopPipeline, benchNoopHourlyPipeline, ordersJsonlPipeline, ordersParquetPipeline];
  return kinds ? new PipelineRegistry([...base, ...KIND_PIPELINES], new Map(KIND_PIPELINES.map((p) => [p, KINDS_FOLDER]))) : new PipelineRegistry(base);
}
