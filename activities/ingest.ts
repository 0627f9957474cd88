/**
 * ingest: load the partition's landed CSV files into `staging.<pipeline>_raw`, all columns as text,
 * with each file's checksum and row count. Rows that are not well-formed CSV (wrong column count,
 * bad quoting) go to the reject bin with their line. Replaces the partition's previous staging
 * rows, rejects and file records in one transaction, so a retry or rerun never duplicates.
 */
import { classifiedFailure } from '../common/failure-classes';
import type { IngestedFile, IngestResult, StepInput } from '../common/run-types';
import { describeDataFiles, hasReadinessMarker, injectedReadFailures, partitionLandingDir } from '../landing/landing-zone';
import { pipelineTables } from '../pipelines/definition';
import { ensureWarehouseSchema } from '../warehouse/schema';
import { sqlIdent, sqlString } from '../warehouse/warehouse';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { stepContext } from './step-context';

export function makeIngest(deps: ActivityDeps) {
  return async function ingest(input: StepInput): Promise<IngestResult> {
    const ctx = stepContext('ingest', input);
    return runClassified(ctx, async () => {
      const pipeline = deps.registry.get(input.pipeline);
      const dir = partitionLandingDir(deps.landingDir, input.pipeline, input.partition);
      const failingReads = injectedReadFailures(dir);
      if (ctx.attempt <= failingReads) {
        throw classifiedFailure('transient', {
          step: ctx.step,
          message: `I/O error reading ${dir}: injected flaky read (attempt ${ctx.attempt}, first ${failingReads} fail)`,
          details: { attempt: ctx.attempt },
        });
      }
      if (!hasReadinessMarker(dir, pipeline)) {
        throw classifiedFailure('dependency', {
          step: ctx.step,
          message: `${input.pipeline}/${input.partition}: ${pipeline.readiness.marker} marker disappeared from ${dir}`,
          retryAfterSeconds: pipeline.readiness.pollIntervalSeconds,
          details: { attempt: ctx.attempt },
        });
      }
      const landed = await describeDataFiles(dir, pipeline);
      await ensureWarehouseSchema(deps.warehouse, [pipeline]);

      const tables = pipelineTables(pipeline);
      const params = { pipeline: input.pipeline, partition: input.partition, run_id: ctx.runId };
      const columnList = pipeline.landing.columns.map(sqlIdent).join(', ');
      const columnTypes = pipeline.landing.columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ');

      const files = await deps.warehouse.transaction(async (db) => {
        await db.run(`DELETE FROM ${tables.raw} WHERE partition_key = $partition`, params);
        await db.run(`DELETE FROM quality.rejects WHERE pipeline = $pipeline AND partition_key = $partition`, params);
        await db.run(`DELETE FROM meta.ingested_files WHERE pipeline = $pipeline AND partition_key = $partition`, params);
        const ingested: IngestedFile[] = [];
        for (const file of landed) {
          const fileParams = { ...params, source_file: file.name };
          // DuckDB appends every scan's errors to the same temp tables: start each file clean.
          await db.run('DROP TABLE IF EXISTS csv_rejects');
          await db.run('DROP TABLE IF EXISTS csv_reject_scans');
          // Columns are fixed and read as text so that typing errors surface as rejects, not crashes.
          await db.run(
            `INSERT INTO ${tables.raw} (partition_key, run_id, source_file, record_no, ${columnList})
             SELECT $partition, $run_id, $source_file, row_number() OVER (), ${columnList}
             FROM read_csv(${sqlString(file.path)}, header = true, auto_detect = false, delim = ',', quote = '"',
                           columns = {${columnTypes}}, store_rejects = true,
                           rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`,
            fileParams,
          );
          await db.run(
            `INSERT INTO quality.rejects
             SELECT $pipeline, $partition, $run_id, 'ingest', $source_file, line,
                    'malformed CSV line: ' || error_message, csv_line, now()
             FROM csv_rejects
             -- DuckDB reports one error per missing column; the reject bin wants one row per bad line.
             QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx) = 1`,
            fileParams,
          );
          const counts = await db.queryOne<{ rows: bigint; malformed: bigint }>(
            `SELECT (SELECT count(*) FROM ${tables.raw} WHERE partition_key = $partition AND source_file = $source_file) AS rows,
                    (SELECT count(DISTINCT line) FROM csv_rejects) AS malformed`,
            fileParams,
          );
          const entry: IngestedFile = {
            name: file.name,
            bytes: file.bytes,
            sha256: file.sha256,
            rows: Number(counts.rows),
            malformedRows: Number(counts.malformed),
          };
          await db.run(
            `INSERT INTO meta.ingested_files VALUES ($pipeline, $partition, $run_id, $source_file, $bytes, $sha256, $rows, $malformed, now())`,
            { ...fileParams, bytes: entry.bytes, sha256: entry.sha256, rows: entry.rows, malformed: entry.malformedRows },
          );
          ingested.push(entry);
        }
        return ingested;
      });

      return {
        files,
        rowsRead: files.reduce((sum, f) => sum + f.rows, 0),
        rowsMalformed: files.reduce((sum, f) => sum + f.malformedRows, 0),
        attempt: ctx.attempt,
        durationMs: ctx.elapsedMs(),
      };
    });
  };
}
