/**
 * The `upstream` source: published partitions of one or more upstream pipelines, each input with a
 * partition mapping (common/mapping.ts) and a view name its SQL uses. Ready when every mapped upstream
 * partition is published (checked on the range, file by file); the snapshot copies each file with the
 * run that published it, recorded in the run's manifest so a later republish marks this partition stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure } from '../common/failure-classes';
import type { UpstreamRef } from '../common/run-types';
import { sqlIdent, sqlString } from '../common/sql';
import { readVersion } from '../lake/commit';
import { withDuckDB } from '../lake/duckdb';
import { publishedColumns } from '../lake/tables';
import { copyWithSha256 } from '../landing/landing-zone';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';
import { MALFORMED_TABLE } from './files';
import { downstreamKeys, upstreamRange } from '../common/mapping';
import { viewNameOf, type UpstreamInput, type UpstreamSource } from '../definitions/source-schema';
import type { Readiness, SnapshotEntry, SourceModule } from './source';

/** Each input's upstream keys for `partition`, oldest first. */
export function mappedPartitions(registry: PipelineRegistry, pipeline: PipelineDefinition, source: UpstreamSource, partition: string) {
  const down = partitionSchemeOf(pipeline);
  return source.inputs.map((input) => {
    const up = partitionSchemeOf(registry.get(input.pipeline));
    const { from, to } = upstreamRange(down, up, input, partition);
    return { input, view: viewNameOf(input), keys: [...up.range(from, to)] };
  });
}

const describeKeys = (keys: string[]) => (keys.length === 1 ? keys[0]! : `${keys[0]}..${keys[keys.length - 1]}`);

export const upstreamSource: SourceModule<UpstreamSource> = {
  async readiness({ deps, pipeline, source, partition }): Promise<Readiness> {
    let files = 0;
    let bytes = 0;
    for (const { input, keys } of mappedPartitions(deps.registry, pipeline, source, partition)) {
      const missing: string[] = [];
      for (const key of keys) {
        const size = await deps.lake.area.size(deps.lake.publishedFile(input.pipeline, key));
        if (size === undefined) missing.push(key);
        else (files += 1), (bytes += size);
      }
      if (missing.length > 0) {
        const why =
          missing.length === 1
            ? `${input.pipeline} ${missing[0]} is not published yet`
            : `${input.pipeline} ${missing.length} of its ${keys.length} partitions ${describeKeys(keys)} (first missing: ${missing[0]}) are not published yet`;
        return { ready: false, failureClass: 'dependency', why };
      }
    }
    return { ready: true, files, bytes };
  },

  async snapshot({ deps, ctx, pipeline, source, partition, stagingDir }) {
    const files: SnapshotEntry[] = [];
    const upstream: UpstreamRef[] = [];
    const copies: { copy: string; input: UpstreamInput; key: string; published: string }[] = [];
    for (const { input, view, keys } of mappedPartitions(deps.registry, pipeline, source, partition)) {
      const dir = path.join(stagingDir, `upstream.${ctx.fileTag}`, view);
      await fs.promises.mkdir(dir, { recursive: true });
      for (const key of keys) {
        const published = deps.lake.publishedFile(input.pipeline, key);
        const copy = path.join(dir, `${view}.${key}.parquet`);
        try {
          // A lake in S3: the published file is fetched into the local cache first (by ETag).
          const local = await deps.lake.area.fetch(published);
          if (local === undefined) throw Object.assign(new Error(`${published} is gone`), { code: 'ENOENT' });
          const etag = await deps.lake.area.cachedVersion(local);
          files.push({ name: path.basename(copy), path: copy, ...(await copyWithSha256(local, copy)), copyOf: { area: deps.lake.area, file: local, etag } });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          throw classifiedFailure('dependency', {
            step: ctx.step,
            message: `${pipeline.name}/${partition}: ${input.pipeline}/${key} is no longer published (${deps.lake.relative(published)})`,
            details: { attempt: ctx.attempt },
          });
        }
        copies.push({ copy, input, key, published });
      }
    }
    await withDuckDB(async (db) => {
      for (const { copy, input, key, published } of copies) {
        const version = await readVersion(db, copy);
        if (typeof version !== 'object') {
          throw classifiedFailure('data', {
            step: ctx.step,
            message: `${pipeline.name}/${partition}: ${deps.lake.relative(published)} ${version === 'unreadable' ? 'is not valid Parquet' : 'carries no run stamp'}; rerun ${input.pipeline}/${key}`,
            details: { attempt: ctx.attempt },
          });
        }
        upstream.push({ pipeline: input.pipeline, partition: key, runId: version.runId });
      }
    });
    return { files, upstream };
  },

  async defineInputs(db, { source, registry }, files) {
    await db.run(MALFORMED_TABLE);
    const views: string[] = [];
    for (const input of source.inputs) {
      const view = viewNameOf(input);
      const columns = publishedColumns(registry.get(input.pipeline)).map(([name]) => name).filter((name) => name !== 'run_id');
      const mine = files.filter((file) => path.basename(path.dirname(file)) === view);
      const scans = mine.map(
        (file) =>
          `SELECT ${sqlString(path.basename(file))} AS source_file, row_number() OVER () AS record_no, ${columns.map(sqlIdent).join(', ')}
           FROM read_parquet(${sqlString(file)}, hive_partitioning = false)`,
      );
      await db.run(`CREATE TEMP VIEW ${sqlIdent(view)} AS ${scans.join(' UNION ALL ')}`);
      views.push(view);
    }
    // One input is also `raw`, the name a pipeline with one source reads.
    if (views.length === 1 && views[0] !== 'raw') await db.run(`CREATE TEMP VIEW raw AS SELECT * FROM ${sqlIdent(views[0]!)}`);
    return {
      rejectRecord: 'validated',
      rawColumns: [],
      rowsPerFile: { sql: views.map((v) => `SELECT source_file, count(*) AS n FROM ${sqlIdent(v)} GROUP BY ALL`).join(' UNION ALL ') },
    };
  },
};

/**
 * The downstream partitions that read `pipeline/partition` (every pipeline with an upstream input on
 * it, mapped back through its mapping): the ones its publish should wake.
 */
export function downstreamPartitionsOf(registry: PipelineRegistry, pipeline: string, partition: string): { pipeline: string; partition: string }[] {
  const up = partitionSchemeOf(registry.get(pipeline));
  return registry.all().flatMap((down) =>
    down.source.kind !== 'upstream'
      ? []
      : down.source.inputs
          .filter((i) => i.pipeline === pipeline)
          .flatMap((input) => downstreamKeys(partitionSchemeOf(down), up, input, partition).map((key) => ({ pipeline: down.name, partition: key }))),
  );
}
