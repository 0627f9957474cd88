/**
 * Warehouse layout. Schemas: `staging` (per-run scratch), `showroom` (published tables),
 * `quality` (the reject bin), `meta` (run manifests, published partitions, ingested files).
 */
import type { PipelineDefinition } from '../pipelines/definition';
import { pipelineTables } from '../pipelines/definition';
import { sqlIdent, type Warehouse } from './warehouse';

const COMMON_DDL = [
  'CREATE SCHEMA IF NOT EXISTS staging',
  'CREATE SCHEMA IF NOT EXISTS showroom',
  'CREATE SCHEMA IF NOT EXISTS quality',
  'CREATE SCHEMA IF NOT EXISTS meta',
  `CREATE TABLE IF NOT EXISTS quality.rejects (
     pipeline VARCHAR NOT NULL, partition_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
     stage VARCHAR NOT NULL, source_file VARCHAR, record_no BIGINT, reason VARCHAR NOT NULL,
     raw_record VARCHAR, rejected_at TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS meta.ingested_files (
     pipeline VARCHAR NOT NULL, partition_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
     file_name VARCHAR NOT NULL, bytes BIGINT NOT NULL, sha256 VARCHAR NOT NULL,
     rows BIGINT NOT NULL, malformed_rows BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS meta.published_partitions (
     pipeline VARCHAR NOT NULL, partition_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
     workflow_id VARCHAR NOT NULL, rows BIGINT NOT NULL, published_at TIMESTAMP NOT NULL,
     PRIMARY KEY (pipeline, partition_key))`,
  `CREATE TABLE IF NOT EXISTS meta.partition_runs (
     run_id VARCHAR PRIMARY KEY, workflow_id VARCHAR NOT NULL, pipeline VARCHAR NOT NULL,
     partition_key VARCHAR NOT NULL, run_kind VARCHAR NOT NULL, backfill_id VARCHAR,
     status VARCHAR NOT NULL, failure_class VARCHAR, failure_step VARCHAR, failure_reason VARCHAR,
     rows_in BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT, rows_published BIGINT,
     files VARCHAR, attempts VARCHAR, durations_ms VARCHAR,
     started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL)`,
];

function pipelineDdl(pipeline: PipelineDefinition): string[] {
  const tables = pipelineTables(pipeline);
  const rawColumns = pipeline.landing.columns.map((c) => `${sqlIdent(c)} VARCHAR`).join(', ');
  const typedColumns = pipeline.warehouse.columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ');
  return [
    `CREATE TABLE IF NOT EXISTS ${tables.raw} (partition_key VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
       source_file VARCHAR NOT NULL, record_no BIGINT NOT NULL, ${rawColumns})`,
    `CREATE TABLE IF NOT EXISTS ${tables.clean} (partition_key VARCHAR NOT NULL, ${typedColumns}, run_id VARCHAR NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${tables.published} (partition_key VARCHAR NOT NULL, ${typedColumns},
       run_id VARCHAR NOT NULL, published_at TIMESTAMP NOT NULL)`,
  ];
}

/** What exists in a warehouse already: the common schemas, and which pipelines' tables. */
interface PreparedSchema {
  common: boolean;
  pipelines: Set<string>;
}

const prepared = new WeakMap<Warehouse, PreparedSchema>();
const inProgress = new WeakMap<Warehouse, Promise<void>>();

/**
 * Create every schema and table the pipelines need (idempotent; remembered per warehouse and pipeline).
 * Calls are serialized per warehouse: concurrent DDL on one DuckDB catalog conflicts.
 */
export function ensureWarehouseSchema(warehouse: Warehouse, pipelines: PipelineDefinition[]): Promise<void> {
  // Hot path: activities call this on every attempt, and after start-up everything exists.
  const done = prepared.get(warehouse);
  if (done?.common && pipelines.every((p) => done.pipelines.has(p.name))) return Promise.resolve();
  const previous = inProgress.get(warehouse) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => createMissing(warehouse, pipelines));
  inProgress.set(warehouse, next);
  return next;
}

async function createMissing(warehouse: Warehouse, pipelines: PipelineDefinition[]): Promise<void> {
  const done = prepared.get(warehouse) ?? { common: false, pipelines: new Set<string>() };
  prepared.set(warehouse, done);
  const pending = pipelines.filter((p) => !done.pipelines.has(p.name));
  if (pending.length === 0 && done.common) return;
  await warehouse.withSession(async (session) => {
    for (const ddl of [...COMMON_DDL, ...pending.flatMap(pipelineDdl)]) await session.run(ddl);
  });
  done.common = true;
  for (const p of pending) done.pipelines.add(p.name);
}
