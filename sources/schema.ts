/**
 * A pipeline's source, as its definition declares it: a discriminated union on `kind`, one module per
 * kind in this folder (files.ts, upstream.ts) that knows how to tell the partition is ready, snapshot
 * its input, expose it to the pipeline's SQL and count rows in. Pure: zod schemas only.
 */
import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../common/identifiers';

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'lower-case letters, digits and _; starts with a letter');

export const FILE_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Files that land in the landing zone, one folder per partition, with a marker written last. */
export const filesSourceSchema = z.object({
  kind: z.literal('files'),
  /** CSV with a header, JSON lines (one object per line), or Parquet. DuckDB reads all three. */
  format: z.enum(FILE_FORMATS),
  /** File names (in the partition's landing folder) that hold the partition's data. */
  filePattern: z.instanceof(RegExp),
  /**
   * The columns read (CSV header names, JSON keys, Parquet columns), all as text: typing happens in
   * the pipeline's SQL, so a bad value is a rejected row, not a crash.
   */
  columns: z.array(identifier).min(1),
  /** The readiness signal: this file, written last into the partition's landing folder. */
  marker: z.string().min(1),
});

/**
 * Which partitions of an upstream a partition reads:
 * - `same`: the same key (both pipelines have the same scheme);
 * - `covering`: every partition of a finer (or equal) upstream that overlaps this partition's window,
 *   straddling ones included (a day ← its 24 hours; a month ← its days, or the weeks that touch it);
 * - `window`: the last `partitions` partitions up to this one (a 7-day rolling table; same scheme).
 */
export const partitionMappingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('same') }),
  z.object({ kind: z.literal('covering') }),
  z.object({ kind: z.literal('window'), partitions: z.number().int().min(1).max(1000) }),
]);
export type PartitionMapping = z.infer<typeof partitionMappingSchema>;

export const upstreamInputSchema = z.object({
  /** The upstream pipeline, whose published partitions this one reads. */
  pipeline: identifier,
  /** The view the pipeline's SQL names (default: the upstream's name). */
  as: identifier.optional(),
  mapping: partitionMappingSchema.default({ kind: 'same' }),
  /** Shift the mapped partitions by this many upstream partitions (-24 on hours: the previous day's). */
  shift: z.number().int().min(-100_000).max(100_000).default(0),
});
export type UpstreamInput = z.infer<typeof upstreamInputSchema>;

/** Published partitions of one or more upstream pipelines. Ready when every mapped partition is published. */
export const upstreamSourceSchema = z.object({
  kind: z.literal('upstream'),
  inputs: z
    .array(upstreamInputSchema)
    .min(1)
    .refine((inputs) => new Set(inputs.map(viewNameOf)).size === inputs.length, 'each input needs its own view name (as)'),
});

export const sourceSchema = z.discriminatedUnion('kind', [filesSourceSchema, upstreamSourceSchema]);
export type SourceDefinition = z.infer<typeof sourceSchema>;
export type FilesSource = z.infer<typeof filesSourceSchema>;
export type UpstreamSource = z.infer<typeof upstreamSourceSchema>;

/** The name an upstream input's rows have in the pipeline's SQL. */
export function viewNameOf(input: { pipeline: string; as?: string }): string {
  return input.as ?? input.pipeline;
}
