/**
 * ingest: copy the partition's landed CSV files into the run's staging folder as one Parquet file,
 * all columns as text, with each file's checksum and row count. Lines that are not well-formed CSV
 * (wrong column count, bad quoting) are staged for the reject bin with their line. First, the janitor
 * step: what earlier, crashed runs of this partition left in staging is removed.
 * Writes only inside this run's staging folder, under names of this attempt: a retry never mixes
 * with what an earlier attempt wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure } from '../common/failure-classes';
import type { IngestedFile, IngestResult, StepInput } from '../common/run-types';
import { describeDataFiles, hasReadinessMarker, injectedReadFailures, partitionLandingDir } from '../landing/landing-zone';
import { sqlIdent, sqlString, withDuckDB } from '../lake/duckdb';
import { sweepPartition } from '../lake/janitor';
import { castList, columnsArgument, REJECT_COLUMNS } from '../lake/tables';
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
      const swept = await sweepPartition(deps.lake, input.pipeline, input.partition, ctx.runId);
      if (swept.length > 0) ctx.log.info({ removed: swept }, 'janitor: removed what earlier runs of this partition left behind');

      const landed = await describeDataFiles(dir, pipeline);
      const stagingDir = deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId);
      await fs.promises.mkdir(stagingDir, { recursive: true });
      const rowsFile = path.join(stagingDir, `raw.attempt-${ctx.attempt}.parquet`);
      const rejectsFile = path.join(stagingDir, `ingest-rejects.attempt-${ctx.attempt}.parquet`);
      const columnList = pipeline.landing.columns.map(sqlIdent).join(', ');
      const textColumns = columnsArgument(pipeline.landing.columns.map((c) => [c, 'VARCHAR'] as const));
      const params = { pipeline: input.pipeline, run_id: ctx.runId };

      const { files, malformed } = await withDuckDB(async (db) => {
        await db.run(`CREATE TEMP TABLE raw (source_file VARCHAR, record_no BIGINT, ${pipeline.landing.columns.map((c) => `${sqlIdent(c)} VARCHAR`).join(', ')})`);
        await db.run(`CREATE TEMP TABLE malformed AS SELECT NULL::VARCHAR AS source_file, 0::BIGINT AS line, NULL::VARCHAR AS error, NULL::VARCHAR AS csv_line WHERE false`);
        for (const file of landed) {
          // DuckDB appends every scan's errors to the same temp tables: start each file clean.
          await db.run('DROP TABLE IF EXISTS csv_rejects');
          await db.run('DROP TABLE IF EXISTS csv_reject_scans');
          // Columns are fixed and read as text so that typing errors surface as rejects, not crashes.
          await db.run(
            `INSERT INTO raw SELECT $source_file, row_number() OVER (), ${columnList}
             FROM read_csv(${sqlString(file.path)}, header = true, auto_detect = false, delim = ',', quote = '"',
                           columns = ${textColumns}, store_rejects = true,
                           rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`,
            { source_file: file.name },
          );
          // DuckDB reports one error per missing column; the reject bin wants one row per bad line.
          await db.run(
            `INSERT INTO malformed SELECT $source_file, line, error_message, csv_line FROM csv_rejects
             QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx) = 1`,
            { source_file: file.name },
          );
        }
        const counts = await db.query<{ source_file: string; rows: bigint }>('SELECT source_file, count(*) AS rows FROM raw GROUP BY ALL');
        const malformedCounts = await db.query<{ source_file: string; rows: bigint }>('SELECT source_file, count(*) AS rows FROM malformed GROUP BY ALL');
        const rowsOf = (list: { source_file: string; rows: bigint }[], name: string) => Number(list.find((c) => c.source_file === name)?.rows ?? 0);
        await db.run(`COPY raw TO ${sqlString(rowsFile)} (FORMAT parquet, COMPRESSION uncompressed)`);
        const malformedRows = malformedCounts.reduce((sum, c) => sum + Number(c.rows), 0);
        if (malformedRows > 0) {
          await db.run(
            `COPY (SELECT ${castList(REJECT_COLUMNS)} FROM (
               SELECT $pipeline AS pipeline, $run_id AS run_id, 'ingest' AS stage, source_file, line AS record_no,
                      'malformed CSV line: ' || error AS reason, csv_line AS raw_record, now() AS rejected_at
               FROM malformed)) TO ${sqlString(rejectsFile)} (FORMAT parquet)`,
            params,
          );
        }
        const ingested: IngestedFile[] = landed.map((f) => ({
          name: f.name,
          bytes: f.bytes,
          sha256: f.sha256,
          rows: rowsOf(counts, f.name),
          malformedRows: rowsOf(malformedCounts, f.name),
        }));
        return { files: ingested, malformed: malformedRows };
      });

      return {
        files,
        staged: { rows: deps.lake.relative(rowsFile), ...(malformed > 0 ? { rejects: deps.lake.relative(rejectsFile) } : {}) },
        rowsRead: files.reduce((sum, f) => sum + f.rows, 0),
        rowsMalformed: malformed,
        attempt: ctx.attempt,
        durationMs: ctx.elapsedMs(),
      };
    });
  };
}
