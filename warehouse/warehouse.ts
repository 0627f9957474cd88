/**
 * The embedded warehouse: one DuckDB file, opened once per process and shared by all activities.
 *
 * DuckDB allows one writing process per file, so the worker process owns it; CLIs never open it
 * while a worker runs (they get row counts from workflow results). Each activity uses its own
 * connection, and writes that must be all-or-nothing run in {@link Warehouse.transaction}.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type SqlParams = Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

/** A connection wrapper that binds only the named parameters a statement mentions (DuckDB rejects extras). */
export class WarehouseSession {
  constructor(private readonly connection: DuckDBConnection) {}

  /** Run a statement; returns how many rows it inserted, updated or deleted. */
  async run(sql: string, params: SqlParams = {}): Promise<number> {
    const result = await this.connection.run(sql, paramsUsedBy(sql, params));
    return result.rowsChanged;
  }

  async query<T extends Row = Row>(sql: string, params: SqlParams = {}): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, paramsUsedBy(sql, params));
    return reader.getRowObjectsJS() as T[];
  }

  async queryOne<T extends Row = Row>(sql: string, params: SqlParams = {}): Promise<T> {
    const rows = await this.query<T>(sql, params);
    if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}: ${sql.slice(0, 80)}`);
    return rows[0]!;
  }
}

function paramsUsedBy(sql: string, params: SqlParams): SqlParams | undefined {
  const used: SqlParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (new RegExp(`\\$${name}\\b`).test(sql)) used[name] = value;
  }
  return Object.keys(used).length > 0 ? used : undefined;
}

export class WarehouseInUse extends Error {
  override name = 'WarehouseInUse';
}

const openWarehouses = new Map<string, Promise<Warehouse>>();

/**
 * DuckDB checkpoints its write-ahead log into the database file once the log passes this size. At
 * the default (16 MB) a 100,000-row partition triggered a checkpoint in nearly every step, copying
 * staging rows into the file moments before the next step deleted them; at 256 MB most staging rows
 * live and die in the log, which measured ~50% more transform + publish throughput (npm run bench).
 * Recovery replays at most this much log after a crash.
 */
const WAREHOUSE_SETTINGS = { checkpoint_threshold: '256MB' };

export class Warehouse {
  private constructor(
    readonly filePath: string,
    private readonly instance: DuckDBInstance,
  ) {}

  /** Open (or reuse, within this process) the warehouse at `filePath`, creating its folder if needed. */
  static open(filePath: string): Promise<Warehouse> {
    const key = filePath === ':memory:' ? filePath : path.resolve(filePath);
    let opening = openWarehouses.get(key);
    if (!opening) {
      if (key !== ':memory:') fs.mkdirSync(path.dirname(key), { recursive: true });
      opening = DuckDBInstance.create(key, WAREHOUSE_SETTINGS).then(
        (instance) => new Warehouse(key, instance),
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          // DuckDB has one writer per file: the usual cause is a worker already running.
          if (/Could not set lock/i.test(message)) throw new WarehouseInUse(`the warehouse ${key} is in use by another process (a running worker?); stop it first`);
          throw err;
        },
      );
      opening.catch(() => openWarehouses.delete(key));
      openWarehouses.set(key, opening);
    }
    return opening;
  }

  async withSession<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    try {
      return await fn(new WarehouseSession(connection));
    } finally {
      connection.closeSync();
    }
  }

  /** Run `fn` in one transaction on its own connection: committed if it returns, rolled back if it throws. */
  async transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    return this.withSession(async (session) => {
      await session.run('BEGIN TRANSACTION');
      try {
        const result = await fn(session);
        await session.run('COMMIT');
        return result;
      } catch (err) {
        await session.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  close(): void {
    openWarehouses.delete(this.filePath);
    this.instance.closeSync();
  }
}

/** Quote a string as a SQL literal (for table-function arguments DuckDB cannot take as bound parameters). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quote an identifier. Pipeline and column names are validated at definition time; this is a second fence. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
