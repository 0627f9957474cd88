/**
 * Reading the lake with SQL: an in-memory DuckDB whose views (`showroom.<pipeline>`,
 * `quality.rejects`, `meta.partition_runs`, `meta.published_partitions`, `meta.ingested_files`) read
 * the lake's files. Nothing is locked: it works while any number of workers write, and every query
 * sees whole partitions (each is one file, replaced atomically). Used by `npx conveyor sql` and the client.
 */
import path from 'node:path';
import { sqlIdent, sqlString } from '../common/sql';
import { withDuckDB, type DuckSession } from './duckdb';
import type { LakeLayout } from './layout';
import { staleSql } from './staleness';
import { columnsArgument, emptyTable, MANIFEST_COLUMNS, OVERRIDE_COLUMNS, publishedColumns, REJECT_COLUMNS, type Columns, type TableCatalog } from './tables';

export interface LakeView {
  schema: 'showroom' | 'quality' | 'meta';
  name: string;
  /** What the view holds, for `.tables`. */
  description: string;
}

export function lakeViews(registry: TableCatalog): LakeView[] {
  return [
    ...registry.all().map((p) => ({ schema: 'showroom' as const, name: p.name, description: `published rows of ${p.name}, one file per partition` })),
    { schema: 'quality', name: 'rejects', description: 'the reject bin: rows rejected by the latest run of each partition, with reason and raw record' },
    { schema: 'meta', name: 'partition_runs', description: 'one manifest per run: status, failure, row counts, files, attempts, durations' },
    { schema: 'meta', name: 'published_partitions', description: 'which run published each partition (and its kind), its rows, and when' },
    { schema: 'meta', name: 'overrides', description: "operators' overrides (force, skip, rerun): who, when, why" },
    { schema: 'meta', name: 'stale_partitions', description: 'downstream partitions whose upstream partition was republished since they read it' },
    { schema: 'meta', name: 'ingested_files', description: 'every ingested file with its size, SHA-256 and row counts' },
  ];
}

const HIVE = `hive_partitioning = true, hive_types = {'partition_key': 'VARCHAR'}`;

/**
 * Create a view over files. DuckDB reads the files' schemas when it creates the view, so one damaged
 * file would fail it, and with it every query. Instead, that view alone fails when queried, with the
 * error that names the file; the other views still answer.
 */
async function createView(db: DuckSession, name: string, body: string, columns: Columns): Promise<void> {
  try {
    await db.run(`CREATE OR REPLACE VIEW ${name} AS ${body}`);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    const failing = `${emptyTable(columns).replace(/ WHERE false$/, '')} FROM range(1) WHERE error(${sqlString(`${name}: ${reason}`)}) IS NULL`;
    await db.run(`CREATE OR REPLACE VIEW ${name} AS ${failing}`);
  }
}

/**
 * (Re)create the views over what the lake holds now. Cheap (a glob per view): call it before each
 * query, so partitions published since are seen and an empty table becomes a real one.
 */
export async function refreshLakeViews(db: DuckSession, layout: LakeLayout, registry: TableCatalog): Promise<void> {
  // A lake in S3: its local mirror, brought up to date (what changed is fetched, by ETag).
  await layout.area.sync(['showroom', 'quality', 'meta'].map((top) => path.join(layout.root, top)));
  const globs = layout.globs();
  const has = async (glob: string) => Number((await db.queryOne<{ n: bigint }>(`SELECT count(*) AS n FROM glob(${sqlString(glob)})`)).n) > 0;
  for (const schema of ['showroom', 'quality', 'meta']) await db.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);

  const tables: string[] = [];
  for (const pipeline of registry.all()) {
    const columns = publishedColumns(pipeline);
    const glob = globs.table(pipeline.name);
    const list = ['partition_key', ...columns.map(([n]) => n)].map(sqlIdent).join(', ');
    const typed: Columns = [['partition_key', 'VARCHAR'], ...columns];
    const body = (await has(glob)) ? `SELECT ${list} FROM read_parquet(${sqlString(glob)}, ${HIVE})` : emptyTable(typed);
    await createView(db, `showroom.${sqlIdent(pipeline.name)}`, body, typed);
    tables.push(pipeline.name);
  }

  const rejectColumns: Columns = [REJECT_COLUMNS[0]!, ['partition_key', 'VARCHAR'], ...REJECT_COLUMNS.slice(1)];
  const rejectList = rejectColumns.map(([n]) => sqlIdent(n)).join(', ');
  await createView(
    db,
    'quality.rejects',
    (await has(globs.rejects)) ? `SELECT ${rejectList} FROM read_parquet(${sqlString(globs.rejects)}, ${HIVE})` : emptyTable(rejectColumns),
    rejectColumns,
  );

  // Records the lake keeps as JSON files written once: run manifests, operators' overrides.
  const jsonRecords = async (name: string, glob: string, columns: Columns) =>
    createView(
      db,
      name,
      (await has(glob))
        ? `SELECT * FROM read_json(${sqlString(glob)}, format = 'newline_delimited', hive_partitioning = false, columns = ${columnsArgument(columns)})`
        : emptyTable(columns),
      columns,
    );
  await jsonRecords('meta.partition_runs', globs.manifests, MANIFEST_COLUMNS);
  await jsonRecords('meta.overrides', globs.overrides, OVERRIDE_COLUMNS);
  await db.run(
    `CREATE OR REPLACE VIEW meta.ingested_files AS
     SELECT pipeline, partition_key, run_id, f.name AS file_name, f.bytes, f.sha256, f.rows, f.malformed_rows, finished_at AS ingested_at
     FROM (SELECT *, unnest(files) AS f FROM meta.partition_runs)`,
  );
  const published = tables.map(
    (name) => `SELECT ${sqlString(name)} AS pipeline, partition_key, any_value(run_id) AS run_id, count(*) AS rows FROM showroom.${sqlIdent(name)} GROUP BY partition_key`,
  );
  await db.run(
    `CREATE OR REPLACE VIEW meta.published_partitions AS
     SELECT p.pipeline, p.partition_key, p.run_id, p.rows, r.finished_at AS published_at, r.run_kind
     FROM (${published.length > 0 ? published.join(' UNION ALL ') : "SELECT NULL AS pipeline, NULL AS partition_key, NULL AS run_id, 0 AS rows WHERE false"}) p
     LEFT JOIN meta.partition_runs r USING (run_id)`,
  );
  await db.run(`CREATE OR REPLACE VIEW meta.stale_partitions AS ${staleSql('meta.partition_runs', 'meta.published_partitions')}`);
}

/** Run `fn` against a fresh reader of the lake. */
export function withLakeReader<T>(layout: LakeLayout, registry: TableCatalog, fn: (db: DuckSession) => Promise<T>): Promise<T> {
  return withDuckDB(async (db) => {
    await refreshLakeViews(db, layout, registry);
    return fn(db);
  });
}
