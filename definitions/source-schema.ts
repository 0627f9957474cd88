/**
 * A pipeline's source, as its definition declares it: a discriminated union on `kind`, one module per
 * kind in this folder (files.ts, upstream.ts) that knows how to tell the partition is ready, snapshot
 * its input, expose it to the pipeline's SQL and count rows in. Pure: zod schemas only.
 */
import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { partitionMappingSchema } from '../common/mapping';

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

/** What a function source's code gets: the partition, its window (time schemes), and a heartbeat with progress. */
export interface SourceFunctionContext {
  partition: string;
  /** The partition's window, UTC (undefined for a static key). */
  window?: { start: Date; end: Date };
  /** Say it is alive (and how far it got); the step heartbeats on its own too. */
  heartbeat(details?: unknown): void;
  /** Aborted when the step is cancelled or times out: pass it to fetch. */
  signal: AbortSignal;
}

/** A function source's code: yields the partition's rows (objects keyed by the declared columns). */
export type SourceFunction = (context: SourceFunctionContext) => AsyncIterable<Record<string, unknown>>;

/**
 * Rows from code, for what is not a file (an HTTP API, a database query): an async generator of the
 * partition, run as a heartbeating step. What it throws is classed by the same four classes: an
 * `HttpError` with 429 or 5xx is transient (retried), another 4xx is code; a `SourceDataError` (a page
 * that is not what it should be) is data; network errors are transient.
 */
export const functionSourceSchema = z.object({
  kind: z.literal('function'),
  rows: z.custom<SourceFunction>((v) => typeof v === 'function', 'an async generator function of the partition'),
  /** The fields read from each row, all as text (typing happens in the SQL, as for files). */
  columns: z.array(identifier).min(1),
});

export const sourceSchema = z.discriminatedUnion('kind', [filesSourceSchema, upstreamSourceSchema, functionSourceSchema], {
  error: "expected { kind: 'files', format, filePattern, columns, marker }, { kind: 'upstream', inputs: [...] } or { kind: 'function', rows, columns }",
});
export type SourceDefinition = z.infer<typeof sourceSchema>;
export type FilesSource = z.infer<typeof filesSourceSchema>;
export type UpstreamSource = z.infer<typeof upstreamSourceSchema>;
export type FunctionSource = z.infer<typeof functionSourceSchema>;

/** The name an upstream input's rows have in the pipeline's SQL. */
export function viewNameOf(input: { pipeline: string; as?: string }): string {
  return input.as ?? input.pipeline;
}
