/**
 * Reading the lake from a service: SQL over the same views as `npx conveyor sql`, and the run records of a
 * partition. Works while any number of workers write (nothing is locked); every partition is read
 * whole. Needs only the lake root (CONVEYOR_LAKE_DIR), not a Temporal connection.
 *
 * ```ts
 * const rows = await queryLake(config, "SELECT partition_key, count(*) AS n FROM showroom.orders GROUP BY ALL");
 * const runs = await partitionRuns(config, 'orders', '2024-03-01');
 * ```
 */
import fs from 'node:fs';
import type { ConveyorConfig } from '../platform/config';
import type { Json } from '@duckdb/node-api';
import { lakeOf } from '../lake/layout';
import { withLakeReader } from '../lake/reader';
import type { RunRecord } from '../common/run-record';
import { publishedPartitions as listPublished, readManifests } from '../lake/runs';
import { assertPartitionKey, type PipelineRegistry } from '../definitions/registry';
import { sqlString } from '../common/sql';
import { webUiWorkflowUrl } from '../common/web-ui';

export type { RunRecord } from '../common/run-record';

type LakeConfig = Pick<ConveyorConfig, 'lakeDir' | 'lakeUrl'>;

/** A query's answer: column names, and rows as JSON-safe values (big integers as strings). */
export interface LakeQueryResult {
  columns: string[];
  rows: Record<string, Json>[];
}

/** Run one SQL statement against the lake's views (`showroom.<pipeline>`, `quality.rejects`, `meta.*`). */
export async function queryLake(config: LakeConfig, sql: string, registry: PipelineRegistry): Promise<LakeQueryResult> {
  return withLakeReader(lakeOf(config), registry, (db) => db.queryJson(sql));
}

/** Every run of a partition, oldest first, from its run records (common/run-record.ts). */
export async function partitionRuns(config: LakeConfig, pipeline: string, partition: string, registry: PipelineRegistry): Promise<RunRecord[]> {
  registry.get(pipeline);
  assertPartitionKey(registry.get(pipeline), partition);
  return readManifests(lakeOf(config), pipeline, partition);
}

/** The published partitions of a pipeline, sorted. */
export async function publishedPartitions(config: LakeConfig, pipeline: string, registry: PipelineRegistry): Promise<string[]> {
  registry.get(pipeline);
  return [...(await listPublished(lakeOf(config), pipeline))].sort();
}

/** A run record as `conveyor runs` lists it: the record's columns, and its run in the Web UI. */
export type RunListing = Record<string, Json> & { web_ui_url: string };

/**
 * A pipeline's run records, newest first: one partition's (every run), or the newest `last` of all
 * its partitions. Refuses an unknown pipeline or a key of another scheme in one line.
 */
export async function runRecords(
  config: LakeConfig & Pick<ConveyorConfig, 'webUiUrl' | 'namespace'>,
  registry: PipelineRegistry,
  pipeline: string,
  which: { partition: string } | { last: number },
): Promise<RunListing[]> {
  const definition = registry.get(pipeline);
  if ('partition' in which) assertPartitionKey(definition, which.partition, '--partition');
  const { rows } = await queryLake(
    config,
    `SELECT partition_key, run_kind, status, failure_class, failure_step, failure_reason, rows_in, rows_published, rows_rejected,
            rows_duplicate, attempts, durations_ms, started_at, finished_at, run_id, workflow_id, backfill_id, transform, checks
     FROM meta.partition_runs WHERE pipeline = ${sqlString(definition.name)}
     ${'partition' in which ? `AND partition_key = ${sqlString(which.partition)}` : ''}
     ORDER BY finished_at DESC ${'last' in which ? `LIMIT ${Math.trunc(which.last)}` : ''}`,
    registry,
  );
  return rows.map((r) => ({ ...r, web_ui_url: webUiWorkflowUrl(config, String(r.workflow_id), String(r.run_id)) }));
}

/**
 * Downstream partitions that read an upstream partition since republished (`meta.stale_partitions`),
 * per pipeline, sorted; empty when there is no lake yet.
 */
export async function stalePartitions(config: LakeConfig, registry: PipelineRegistry): Promise<Map<string, string[]>> {
  const stale = new Map<string, string[]>();
  if (config.lakeUrl === undefined && !fs.existsSync(config.lakeDir)) return stale;
  const { rows } = await queryLake(config, 'SELECT pipeline, partition_key FROM meta.stale_partitions ORDER BY 1, 2', registry);
  for (const row of rows) stale.set(String(row.pipeline), [...(stale.get(String(row.pipeline)) ?? []), String(row.partition_key)]);
  return stale;
}
