/**
 * Reading the lake from a service: SQL over the same views as `npm run sql`, and the run records of a
 * partition. Works while any number of workers write (nothing is locked); every partition is read
 * whole. Needs only the lake root (CONVEYOR_LAKE_DIR), not a Temporal connection.
 *
 * ```ts
 * const rows = await queryLake(config, "SELECT partition_key, count(*) AS n FROM showroom.orders GROUP BY ALL");
 * const runs = await partitionRuns(config, 'orders', '2024-03-01');
 * ```
 */
import type { ConveyorConfig } from '../platform/config';
import type { Json } from '@duckdb/node-api';
import { lakeOf } from '../lake/layout';
import { withLakeReader } from '../lake/reader';
import { publishedPartitions as listPublished, readManifests, type ManifestRecord } from '../lake/runs';
import { assertPartitionKey, type PipelineRegistry } from '../definitions/registry';

export type { ManifestRecord } from '../lake/runs';

type LakeConfig = Pick<ConveyorConfig, 'lakeDir' | 'lakeUrl' | 'lakeUrl'>;

/** A query's answer: column names, and rows as JSON-safe values (big integers as strings). */
export interface LakeQueryResult {
  columns: string[];
  rows: Record<string, Json>[];
}

/** Run one SQL statement against the lake's views (`showroom.<pipeline>`, `quality.rejects`, `meta.*`). */
export async function queryLake(config: LakeConfig, sql: string, registry: PipelineRegistry): Promise<LakeQueryResult> {
  return withLakeReader(lakeOf(config), registry, (db) => db.queryJson(sql));
}

/** Every run of a partition, oldest first, from its manifests. */
export async function partitionRuns(config: LakeConfig, pipeline: string, partition: string, registry: PipelineRegistry): Promise<ManifestRecord[]> {
  registry.get(pipeline);
  assertPartitionKey(registry.get(pipeline), partition);
  return readManifests(lakeOf(config), pipeline, partition);
}

/** The published partitions of a pipeline, sorted. */
export async function publishedPartitions(config: LakeConfig, pipeline: string, registry: PipelineRegistry): Promise<string[]> {
  registry.get(pipeline);
  return [...(await listPublished(lakeOf(config), pipeline))].sort();
}
