/**
 * What every kind's output must be, checked the same way: the definition's columns, castable to their
 * declared types. A missing column, or values that do not fit a declared type, is a `code` failure
 * naming the column: the transform broke its contract, and running it again cannot help. The
 * optional columns (`reject_reason`, `source_file`, `record_no`) are added, empty, when a kind (or an
 * aggregating SQL) yields none.
 */
import { classifiedFailure } from '../common/failure-classes';
import { sqlIdent, sqlString } from '../common/sql';
import type { DuckSession } from '../lake/duckdb';
import type { PipelineDefinition } from '../definitions/definition';

/** Records a transform rejected itself (a command's CONVEYOR_REJECTS file): every kind leaves this table, empty or not. */
export const TRANSFORM_REJECTS_TABLE = 'CREATE TEMP TABLE transform_rejects (source_file VARCHAR, record_no BIGINT, reason VARCHAR, raw_record VARCHAR)';

const OPTIONAL_COLUMNS = [
  ['reject_reason', 'VARCHAR'],
  ['source_file', 'VARCHAR'],
  ['record_no', 'BIGINT'],
] as const;

/** Check `validated` has every declared column, and add the optional ones it lacks. */
export async function checkOutputColumns(db: DuckSession, pipeline: PipelineDefinition, what: string): Promise<void> {
  const present = new Set((await db.query<{ column_name: string }>('SELECT column_name FROM (DESCRIBE validated)')).map((c) => c.column_name));
  const missing = pipeline.table.columns.filter((c) => !present.has(c.name));
  if (missing.length > 0) {
    throw classifiedFailure('code', {
      step: 'transform',
      message: `${what} yields no column ${missing.map((c) => `${c.name} (${c.type})`).join(', ')}; it yields ${[...present].join(', ') || 'no columns'}`,
    });
  }
  for (const [name, type] of OPTIONAL_COLUMNS) {
    if (!present.has(name)) await db.run(`ALTER TABLE validated ADD COLUMN ${sqlIdent(name)} ${type}`);
  }
}

/**
 * After a cast to the declared types failed: the first column whose values do not fit, as a `code`
 * failure naming it, how many values and one of them; undefined when none is found (the error was another).
 */
export async function mistypedColumn(db: DuckSession, pipeline: PipelineDefinition, what: string): Promise<Error | undefined> {
  for (const { name, type } of pipeline.table.columns) {
    const column = sqlIdent(name);
    const bad = await db.queryOne<{ n: bigint; example: string | null }>(
      `SELECT count(*) AS n, any_value(${column}::VARCHAR) AS example FROM validated
       WHERE reject_reason IS NULL AND ${column} IS NOT NULL AND TRY_CAST(${column} AS ${type}) IS NULL`,
    );
    if (bad.n > 0n) {
      return classifiedFailure('code', {
        step: 'transform',
        message: `${what} yields column ${name} with ${bad.n} value(s) that are not ${type}, e.g. ${sqlString(bad.example ?? '')}`,
      });
    }
  }
  return undefined;
}
