/**
 * The columns of the lake's tables, declared once: writers cast to them, readers' views and empty
 * tables are typed by them (docs/lake.md lists them for readers outside Conveyor).
 */
import { STEP_NAMES } from '../common/run-types';
import { sqlIdent } from '../common/sql';

export type Columns = readonly (readonly [name: string, type: string])[];

/** What the lake knows of a pipeline: its name and its published columns (a definition is one). */
export interface TableDeclaration {
  name: string;
  table: { columns: readonly { name: string; type: string }[] };
}

/** The pipelines whose tables the lake holds (the deployment's registry is one). */
export interface TableCatalog {
  all(): readonly TableDeclaration[];
}

/** A published partition's file: the pipeline's columns, then the run that published it. */
export function publishedColumns(pipeline: Pick<TableDeclaration, 'table'>): Columns {
  return [...pipeline.table.columns.map((c) => [c.name, c.type] as const), ['run_id', 'VARCHAR']];
}

/** A partition's reject bin file. */
export const REJECT_COLUMNS: Columns = [
  ['pipeline', 'VARCHAR'],
  ['run_id', 'VARCHAR'],
  ['stage', 'VARCHAR'],
  ['source_file', 'VARCHAR'],
  ['record_no', 'BIGINT'],
  ['reason', 'VARCHAR'],
  ['raw_record', 'VARCHAR'],
  ['rejected_at', 'TIMESTAMP'],
];

const perStep = `STRUCT(${STEP_NAMES.map((s) => `${s} BIGINT`).join(', ')})`;

/** A run manifest (one JSON object per file); see lake/runs.ts. */
export const MANIFEST_COLUMNS: Columns = [
  ['run_id', 'VARCHAR'],
  ['workflow_id', 'VARCHAR'],
  ['pipeline', 'VARCHAR'],
  ['partition_key', 'VARCHAR'],
  ['run_kind', 'VARCHAR'],
  ['backfill_id', 'VARCHAR'],
  ['status', 'VARCHAR'],
  ['failure_class', 'VARCHAR'],
  ['failure_step', 'VARCHAR'],
  ['failure_reason', 'VARCHAR'],
  ['rows_in', 'BIGINT'],
  ['rows_rejected', 'BIGINT'],
  ['rows_duplicate', 'BIGINT'],
  ['rows_published', 'BIGINT'],
  ['files', 'STRUCT(name VARCHAR, bytes BIGINT, sha256 VARCHAR, rows BIGINT, malformed_rows BIGINT)[]'],
  ['attempts', perStep],
  ['durations_ms', perStep],
  ['started_at', 'TIMESTAMP'],
  ['finished_at', 'TIMESTAMP'],
  ['overrides', 'STRUCT(kind VARCHAR, reason VARCHAR, requested_by VARCHAR, requested_at VARCHAR)[]'],
  ['upstream', 'STRUCT(pipeline VARCHAR, partition_key VARCHAR, run_id VARCHAR)[]'],
];

/** An operator's override (lake/overrides.ts). */
export const OVERRIDE_COLUMNS: Columns = [
  ['pipeline', 'VARCHAR'],
  ['partition_key', 'VARCHAR'],
  ['kind', 'VARCHAR'],
  ['reason', 'VARCHAR'],
  ['requested_by', 'VARCHAR'],
  ['requested_at', 'TIMESTAMP'],
  ['run_id', 'VARCHAR'],
];

/** `SELECT` list casting each column: `CAST(x AS T) AS x, ...` (`prefix` qualifies the source). */
export function castList(columns: Columns, prefix = ''): string {
  return columns.map(([name, type]) => `CAST(${prefix}${sqlIdent(name)} AS ${type}) AS ${sqlIdent(name)}`).join(', ');
}

/** A query with the given columns and no rows: what a reader sees before anything is written. */
export function emptyTable(columns: Columns): string {
  return `SELECT ${columns.map(([name, type]) => `NULL::${type} AS ${sqlIdent(name)}`).join(', ')} WHERE false`;
}

/** DuckDB's `columns = {...}` argument of read_json / read_csv. */
export function columnsArgument(columns: Columns): string {
  return `{${columns.map(([name, type]) => `'${name}': '${type}'`).join(', ')}}`;
}
