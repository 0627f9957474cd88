/**
 * transform: run the pipeline's validation SQL over the rows ingest staged, drop duplicates on the
 * unique key, and stage the clean rows for publish — set-based inside DuckDB. Rejected rows (with
 * ingest's malformed lines) replace the partition's reject bin file at once, by the commit rule, so
 * they are there for operators even when the partition fails.
 * When more rows were rejected than the pipeline tolerates, the partition fails as a `data` failure
 * (never retried) carrying the reject count and a sample of reasons.
 */
import path from 'node:path';
import { classifiedFailure } from '../common/failure-classes';
import type { TransformInput, TransformResult } from '../common/run-types';
import { commitFile, versionMetadataOption } from '../lake/commit';
import { sqlIdent, sqlString, withDuckDB } from '../lake/duckdb';
import { castList, publishedColumns, REJECT_COLUMNS } from '../lake/tables';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { stepContext } from './step-context';

const SAMPLE_REASONS = 5;

export function makeTransform(deps: ActivityDeps) {
  return async function transform(input: TransformInput): Promise<TransformResult> {
    const ctx = stepContext('transform', input);
    return runClassified(ctx, async () => {
      const pipeline = deps.registry.get(input.pipeline);
      const stagingDir = deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId);
      const rawFile = deps.lake.resolveWithin(stagingDir, input.ingested.rows);
      const ingestRejects = input.ingested.rejects ? deps.lake.resolveWithin(stagingDir, input.ingested.rejects) : undefined;
      const cleanFile = path.join(stagingDir, `clean.attempt-${ctx.attempt}.parquet`);
      const rejectsFile = path.join(stagingDir, `rejects.attempt-${ctx.attempt}.parquet`);
      const params = { pipeline: input.pipeline, partition: input.partition, run_id: ctx.runId };
      const columns = publishedColumns(pipeline);
      const uniqueKey = pipeline.table.uniqueKey.map(sqlIdent).join(', ');
      const rawColumns = pipeline.landing.columns.map((c) => `${sqlIdent(c)} := r.${sqlIdent(c)}`).join(', ');
      const stamp = versionMetadataOption(ctx.version);

      const result = await withDuckDB(async (db) => {
        await db.run(`CREATE TEMP TABLE raw AS SELECT * FROM read_parquet(${sqlString(rawFile)})`);
        await db.run(`CREATE TEMP TABLE validated AS WITH raw AS (SELECT * FROM raw) ${pipeline.table.validateSql}`, params);
        // Only rejected rows get their raw record rebuilt as JSON (building it for every row is costly).
        const fromIngest = ingestRejects ? `UNION ALL BY NAME SELECT * FROM read_parquet(${sqlString(ingestRejects)})` : '';
        const rejected = await db.run(
          `COPY (SELECT ${castList(REJECT_COLUMNS)} FROM (
             SELECT $pipeline AS pipeline, $run_id AS run_id, 'transform' AS stage, v.source_file, v.record_no,
                    v.reject_reason AS reason, to_json(struct_pack(${rawColumns}))::VARCHAR AS raw_record, now() AS rejected_at
             FROM validated v JOIN raw r USING (source_file, record_no)
             WHERE v.reject_reason IS NOT NULL
             ${fromIngest})
           ORDER BY stage, source_file, record_no)
           TO ${sqlString(rejectsFile)} (FORMAT parquet, ${stamp})`,
          params,
        );
        const clean = await db.run(
          `COPY (SELECT ${castList(columns)} FROM (
             SELECT *, $run_id AS run_id FROM validated WHERE reject_reason IS NULL
             QUALIFY row_number() OVER (PARTITION BY ${uniqueKey} ORDER BY source_file, record_no) = 1))
           TO ${sqlString(cleanFile)} (FORMAT parquet, COMPRESSION zstd, ${stamp})`,
          params,
        );
        const counts = await db.queryOne<{ staged: bigint; invalid: bigint }>(
          'SELECT count(*) AS staged, count(*) FILTER (WHERE reject_reason IS NOT NULL) AS invalid FROM validated',
        );
        const sample = await db.query<{ reason: string; source_file: string; record_no: bigint }>(
          `SELECT reason, source_file, record_no FROM read_parquet(${sqlString(rejectsFile)}) LIMIT ${SAMPLE_REASONS}`,
        );
        const committed = await commitFile(db, {
          staged: rejectsFile,
          target: deps.lake.rejectsFile(input.pipeline, input.partition),
          version: ctx.version,
          onUnreadable: (file) => ctx.log.warn({ file }, 'replacing a reject bin file that is not valid Parquet'),
        });
        if (committed === 'already-committed') ctx.log.info('reject bin already holds this attempt\'s file');
        return { staged: Number(counts.staged), invalid: Number(counts.invalid), rejected, clean, sample };
      });

      const rowsIn = result.staged + (result.rejected - result.invalid);
      const rowsValid = result.staged - result.invalid;
      const transformed: TransformResult = {
        rowsIn,
        rowsValid,
        rowsRejected: result.rejected,
        rowsDuplicate: rowsValid - result.clean,
        rowsOut: result.clean,
        staged: deps.lake.relative(cleanFile),
        attempt: ctx.attempt,
        durationMs: ctx.elapsedMs(),
      };

      const rejected = result.rejected;
      const allowed = pipeline.quality.maxRejectedRatio;
      if (rejected > 0 && (rowsIn === 0 || rejected / rowsIn > allowed)) {
        const sampleReasons = result.sample.map((r) => `${r.source_file}#${r.record_no}: ${r.reason}`);
        const percent = ((rejected / Math.max(rowsIn, 1)) * 100).toFixed(1);
        throw classifiedFailure('data', {
          step: ctx.step,
          message:
            `${rejected} of ${rowsIn} rows rejected (${percent}% > ${allowed * 100}% allowed); ` +
            `e.g. ${sampleReasons[0] ?? 'no reason recorded'}`,
          details: { attempt: ctx.attempt, rejectedRows: rejected, totalRows: rowsIn, sampleReasons },
        });
      }
      if (transformed.rowsOut === 0) {
        throw classifiedFailure('data', {
          step: ctx.step,
          message: `no valid rows for ${input.pipeline}/${input.partition} (${rowsIn} rows in)`,
          details: { attempt: ctx.attempt, rejectedRows: rejected, totalRows: rowsIn },
        });
      }
      return transformed;
    });
  };
}
