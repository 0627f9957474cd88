/**
 * The staleness rule, stated once: a downstream partition is stale when an upstream partition its
 * latest successful run read has since been published by another run (a rerun or a backfill of the
 * upstream). The lake's view `meta.stale_partitions` applies it to the whole lake; the backfill
 * planner applies it to one chunk's own run records and the upstream partitions they name, so a
 * `--reprocess stale` backfill never reads the whole lake per chunk.
 */
import path from 'node:path';
import { sqlString } from '../common/sql';
import type { DuckSession } from './duckdb';
import { partitionKeyOfDir, type LakeLayout } from './layout';
import { mapConcurrently } from './area';
import { FETCHES_AT_ONCE } from './mirror';
import { isRecordName } from './runs';
import { columnsArgument, MANIFEST_COLUMNS } from './tables';

/**
 * The rule as SQL over two relations: `runs` (run manifests: pipeline, partition_key, run_id, status,
 * finished_at, upstream) and `published` (pipeline, partition_key, run_id, published_at).
 */
export function staleSql(runs: string, published: string): string {
  return `SELECT r.pipeline, r.partition_key, r.run_id, u.pipeline AS upstream_pipeline, u.run_id AS consumed_run_id,
                 p.run_id AS published_run_id, p.published_at AS republished_at
          FROM (SELECT * FROM ${runs} WHERE status = 'succeeded' AND len(upstream) > 0
                QUALIFY row_number() OVER (PARTITION BY pipeline, partition_key ORDER BY finished_at DESC) = 1) r,
               unnest(r.upstream) AS t(u)
          JOIN ${published} p ON p.pipeline = u.pipeline AND p.partition_key = u.partition_key
          WHERE p.run_id IS DISTINCT FROM u.run_id`;
}

/** Why a stale partition is stale, one clause per upstream partition republished since it read it. */
const WHY = `string_agg(upstream_pipeline || ' run ' || consumed_run_id || ' since republished by ' || published_run_id, '; ' ORDER BY upstream_pipeline, consumed_run_id)`;

/**
 * The partitions of `pipeline` among `keys` that are stale, with why: reads only their run manifests
 * and the published files of the upstream partitions those runs read.
 */
export async function staleAmong(db: DuckSession, layout: LakeLayout, pipeline: string, keys: Iterable<string>): Promise<Map<string, string>> {
  const perKey = await mapConcurrently([...keys], FETCHES_AT_ONCE, async (key) => {
    const dir = layout.manifestDir(pipeline, key);
    const names = (await layout.area.readdir(dir)).filter(isRecordName);
    return Promise.all(names.map((name) => layout.area.fetch(path.join(dir, name))));
  });
  const manifests = perKey.flat().filter((local): local is string => local !== undefined);
  if (manifests.length === 0) return new Map();
  const list = (files: string[]) => `[${files.map(sqlString).join(', ')}]`;
  await db.run(
    `CREATE OR REPLACE TEMP TABLE stale_runs AS
     SELECT * FROM read_json(${list(manifests)}, format = 'newline_delimited', hive_partitioning = false, columns = ${columnsArgument(MANIFEST_COLUMNS)})`,
  );
  const read = await db.query<{ pipeline: string; partition_key: string }>(
    `SELECT DISTINCT u.pipeline, u.partition_key FROM stale_runs, unnest(upstream) AS t(u) WHERE status = 'succeeded'`,
  );
  // The run that published each of them now: the version stamped on its file (lake/commit.ts).
  const published: string[] = [];
  for (const u of read) {
    const version = await layout.area.versionOf(db, layout.publishedFile(u.pipeline, u.partition_key));
    if (version && version !== 'unreadable') published.push(`(${sqlString(u.pipeline)}, ${sqlString(u.partition_key)}, ${sqlString(version.runId)}, NULL::TIMESTAMP)`);
  }
  await db.run(
    published.length === 0
      ? 'CREATE OR REPLACE TEMP TABLE stale_published (pipeline VARCHAR, partition_key VARCHAR, run_id VARCHAR, published_at TIMESTAMP)'
      : `CREATE OR REPLACE TEMP TABLE stale_published AS SELECT * FROM (VALUES ${published.join(', ')}) f(pipeline, partition_key, run_id, published_at)`,
  );
  const rows = await db.query<{ partition_key: string; why: string }>(
    `SELECT partition_key, ${WHY} AS why FROM (${staleSql('stale_runs', 'stale_published')}) GROUP BY partition_key`,
  );
  return new Map(rows.map((r) => [r.partition_key, r.why]));
}


/** Every stale partition of `pipeline`, with why (the partitions it has run records of). */
export async function stalePartitionsOf(db: DuckSession, layout: LakeLayout, pipeline: string): Promise<Map<string, string>> {
  const keys = (await layout.area.readdir(layout.manifestsDir(pipeline))).map(partitionKeyOfDir).filter((k): k is string => k !== undefined);
  return staleAmong(db, layout, pipeline, keys);
}
