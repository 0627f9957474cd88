/**
 * In-process DuckDB for one piece of work: an in-memory database that reads and writes the lake's
 * files and holds no lock on anything shared. Each process has one in-memory engine (its thread pool
 * and memory shared by the activities running in it); each activity and reader gets its own
 * connection, with its own temp tables, closed when done. What they leave behind is files, committed
 * by the rules in lake/commit.ts.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue, type Json } from '@duckdb/node-api';

export type SqlParams = Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

/** A connection wrapper that binds only the named parameters a statement mentions (DuckDB rejects extras). */
export class DuckSession {
  constructor(readonly connection: DuckDBConnection) {}

  /** Run a statement; returns how many rows it inserted, updated, deleted or copied. */
  async run(sql: string, params: SqlParams = {}): Promise<number> {
    const result = await this.connection.run(sql, paramsUsedBy(sql, params));
    return result.rowsChanged;
  }

  async query<T extends Row = Row>(sql: string, params: SqlParams = {}): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, paramsUsedBy(sql, params));
    return reader.getRowObjectsJS() as T[];
  }

  /** A statement's answer for people and scripts: column names, and rows as JSON-safe values (big integers as strings). */
  async queryJson(sql: string): Promise<{ columns: string[]; rows: Record<string, Json>[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() };
  }

  async queryOne<T extends Row = Row>(sql: string, params: SqlParams = {}): Promise<T> {
    const rows = await this.query<T>(sql, params);
    if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}: ${sql.slice(0, 80)}`);
    return rows[0]!;
  }
}

/** The parameters a statement names (in its code: `-- comments` and string literals do not count). */
function paramsUsedBy(sql: string, params: SqlParams): SqlParams | undefined {
  // One pass, left to right, so an apostrophe in a comment or `--` in a string is read as what it is in.
  const code = sql.replace(/--[^\n]*|'(?:[^']|'')*'/g, (m) => (m.startsWith('--') ? '' : "''"));
  const used: SqlParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (new RegExp(`\\$${name}\\b`).test(code)) used[name] = value;
  }
  return Object.keys(used).length > 0 ? used : undefined;
}

/**
 * Settings of the engine. One thread of its own: each query still runs on the thread of the step
 * that issued it, so steps in flight run side by side, and a partition's work is too small for a
 * query to gain from more threads (two cost ~12% more worker CPU per partition, npm run bench).
 * Insertion order is kept so row numbers follow the landed files.
 */
const ENGINE_SETTINGS = { threads: '1', preserve_insertion_order: 'true' };

/**
 * The process's in-memory engine, created on first use. A fresh engine per activity cost ~10 ms of
 * start-up per step, about 8% of a 100,000-row partition's work (npm run bench); a connection costs
 * well under 1 ms.
 */
let engine: Promise<DuckDBInstance> | undefined;

/** Run `fn` on a connection of its own (its own temp tables); closed afterwards, whatever happens. */
export async function withDuckDB<T>(fn: (db: DuckSession) => Promise<T>): Promise<T> {
  if (!engine) {
    engine = DuckDBInstance.create(':memory:', ENGINE_SETTINGS);
    engine.catch(() => (engine = undefined)); // a failed start is tried again by the next step
  }
  const connection = await (await engine).connect();
  try {
    return await fn(new DuckSession(connection));
  } finally {
    connection.closeSync();
  }
}

