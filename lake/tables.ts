/**
 * The columns of the lake's tables, declared once: writers cast to them, readers' views and empty
 * tables are typed by them (docs/lake.md lists them for readers outside Conveyor). A record's columns
 * are derived from its zod schema (the run record's: common/run-record.ts).
 */
import { z } from 'zod';
import { runRecordSchema } from '../common/run-record';
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

/** A run's record (one JSON object per file, lake/runs.ts): the columns of `meta.partition_runs`. */
export const MANIFEST_COLUMNS: Columns = columnsOf(runRecordSchema);

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

/**
 * The DuckDB type of a zod schema's values: strings VARCHAR (ISO times TIMESTAMP), integers BIGINT,
 * other numbers DOUBLE, booleans BOOLEAN, objects STRUCT(...) and arrays `<type>[]`. Optional,
 * nullable and defaulted values are plain columns (any DuckDB column may be null).
 */
export function duckdbTypeOf(schema: z.ZodType, where = 'value'): string {
  const inner = unwrapped(schema);
  if (inner instanceof z.ZodISODateTime) return 'TIMESTAMP';
  if (inner instanceof z.ZodString || inner instanceof z.ZodStringFormat || inner instanceof z.ZodEnum) return 'VARCHAR';
  if (inner instanceof z.ZodNumber) return inner.isInt ? 'BIGINT' : 'DOUBLE';
  if (inner instanceof z.ZodBoolean) return 'BOOLEAN';
  if (inner instanceof z.ZodObject) return `STRUCT(${columnsOf(inner, `${where}.`).map(([name, type]) => `${name} ${type}`).join(', ')})`;
  if (inner instanceof z.ZodArray) return `${duckdbTypeOf(inner.element as z.ZodType, `${where}[]`)}[]`;
  throw new Error(`${where}: no DuckDB type for a zod ${inner._zod.def.type}`);
}

/** The columns of a record whose zod schema is `schema` (an object), in its fields' order. */
export function columnsOf(schema: z.ZodObject, where = ''): Columns {
  return Object.entries(schema.shape).map(([name, field]) => [name, duckdbTypeOf(field as z.ZodType, `${where}${name}`)] as const);
}

/** A column as docs list it: its name (`files[].name` for a field of a list's items), DuckDB type and meaning. */
export interface DocumentedColumn {
  name: string;
  type: string;
  description: string;
}

/**
 * A record's columns with the meaning each field's `.describe()` gives, for docs: each column, then
 * the described fields of its struct or of its list's items (`files[].rows`, ...).
 */
export function documentedColumns(schema: z.ZodObject, prefix = ''): DocumentedColumn[] {
  return Object.entries(schema.shape).flatMap(([key, field]) => {
    const name = `${prefix}${key}`;
    const inner = unwrapped(field as z.ZodType);
    const element = inner instanceof z.ZodArray ? unwrapped(inner.element as z.ZodType) : undefined;
    const nested = element instanceof z.ZodObject ? documentedColumns(element, `${name}[].`) : inner instanceof z.ZodObject ? documentedColumns(inner, `${name}.`) : [];
    return [{ name, type: duckdbTypeOf(field as z.ZodType, name), description: descriptionOf(field as z.ZodType) }, ...nested.filter((c) => c.description !== '')];
  });
}

/** The schema inside optional and nullable wrappers. */
function unwrapped(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault) return unwrapped(schema.removeDefault() as z.ZodType);
  return schema instanceof z.ZodOptional || schema instanceof z.ZodNullable ? unwrapped(schema.unwrap() as z.ZodType) : schema;
}

/** A field's `.describe()` text, given on it or on what it wraps ('' when there is none). */
function descriptionOf(schema: z.ZodType): string {
  if (schema.description !== undefined) return schema.description;
  if (schema instanceof z.ZodDefault) return descriptionOf(schema.removeDefault() as z.ZodType);
  return schema instanceof z.ZodOptional || schema instanceof z.ZodNullable ? descriptionOf(schema.unwrap() as z.ZodType) : '';
}
