/**
 * transform: read the run's snapshot through the views its source module defines (landed CSV, JSON
 * lines or Parquet as `raw`, all columns as text so typing errors surface as rejects, not crashes; or
 * one view per upstream input), run the pipeline's SQL, drop duplicates on the unique
 * key, and stage the clean rows for publish — set-based inside the step's own DuckDB. Rejected rows
 * (lines that are not well-formed CSV or JSON, and rows that fail validation) replace the partition's reject
 * bin file at once, by the commit rule, so they are there for operators even when the partition fails.
 * When more rows were rejected than the pipeline tolerates, the partition fails as a `data` failure
 * (never retried) carrying the reject count and a sample of reasons.
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure } from '../common/failure-classes';
import type { FileRowCounts, PythonTransformResult, StepName, TransformInput, TransformResult } from '../common/run-types';
import { versionMetadataOption, type FileVersion } from '../lake/commit';
import { sqlIdent, sqlString } from '../common/sql';
import { withDuckDB, type DuckSession } from '../lake/duckdb';
import { castList, publishedColumns, REJECT_COLUMNS } from '../lake/tables';
import { sqlParamsOf, type PipelineDefinition } from '../definitions/definition';
import type { InputsInfo } from '../sources/source';
import { describeTransform, transformOf } from '../transforms';
import { failedCheck, runChecks } from '../transforms/checks';
import { checkOutputColumns, mistypedColumn } from '../transforms/output';
import { Context } from '@temporalio/activity';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { pipelineOfStep, stepContext } from './step-context';

const SAMPLE_REASONS = 5;

export function makeTransform(deps: ActivityDeps) {
  return async function transform(input: TransformInput): Promise<TransformResult> {
    const ctx = stepContext('transform', input);
    return runClassified(ctx, async () => {
      const pipeline = pipelineOfStep(deps.registry, input, ctx);
      const stagingDir = deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId);
      const landed = await checkedSnapshot(deps, stagingDir, input, ctx.step);
      const cleanFile = path.join(stagingDir, `clean.${ctx.fileTag}.parquet`);
      const rejectsFile = path.join(stagingDir, `rejects.${ctx.fileTag}.parquet`);
      const activity = Context.current();
      const result = await withDuckDB((db) =>
        transformInDuckDB(db, {
          deps, pipeline, partition: input.partition, runId: ctx.runId, version: ctx.version, files: landed, cleanFile, rejectsFile, stagingDir, fileTag: ctx.fileTag,
          heartbeat: (details) => activity.heartbeat(details),
          signal: activity.cancellationSignal,
          produced: input.produced,
          onUnreadable: (file) => ctx.log.warn({ file }, 'replacing a reject bin file that is not valid Parquet'),
        }),
      );
      if (result.committed === 'already-committed') ctx.log.info('reject bin already holds this attempt\'s file');
      // Publish may run on another worker: the clean file goes where every worker reads it.
      await deps.lake.area.share(cleanFile);

      const { rowsIn } = result;
      const rowsValid = result.staged - result.invalid;
      const transformed: TransformResult = {
        files: result.files,
        rowsIn,
        rowsValid,
        rowsRejected: result.rejected,
        rowsDuplicate: rowsValid - result.clean,
        rowsOut: result.clean,
        staged: deps.lake.relative(cleanFile),
        transform: result.transform,
        checks: result.checks,
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
      // The checks gate publish: a failed `error` check fails the partition (its results in the failure).
      const failed = failedCheck(pipeline, result.checks);
      if (failed) throw failed;
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

/** What transform does in DuckDB, given its snapshot and where to stage its files. */
export interface TransformWork {
  deps: ActivityDeps;
  pipeline: PipelineDefinition;
  partition: string;
  runId: string;
  /** Stamped into both files (lake/commit.ts). */
  version: FileVersion;
  /** The run's snapshot of its input. */
  files: string[];
  cleanFile: string;
  rejectsFile: string;
  /** Where the transform may write what it makes (a command's output), its names tagged with `fileTag`. */
  stagingDir: string;
  fileTag: string;
  /** A transform that runs a while says it is alive, and stops when the step is cancelled. */
  heartbeat: (details?: unknown) => void;
  signal: AbortSignal;
  /** A `python` transform: what its step on the Python worker made. */
  produced?: PythonTransformResult;
  onUnreadable?: (file: string) => void;
}

/**
 * Transform's work, apart from Temporal: validate the snapshot through the pipeline's SQL, stage the
 * clean rows (the first of each unique key) and the rejected ones as Parquet, and commit the reject bin
 * file. The activity runs it; so does the bench's bare pipeline (the data path's floor).
 */
export async function transformInDuckDB(db: DuckSession, work: TransformWork) {
  const { deps, pipeline, partition, cleanFile, rejectsFile } = work;
  const params = sqlParamsOf(pipeline, partition, work.runId);
  const columns = publishedColumns(pipeline);
  const uniqueKey = pipeline.table.uniqueKey.map(sqlIdent).join(', ');
  const stamp = versionMetadataOption(work.version);
  const { transform, module } = transformOf(pipeline);
  const call = { db, deps, pipeline, transform, partition, runId: work.runId, files: work.files, params, stagingDir: work.stagingDir, fileTag: work.fileTag, heartbeat: work.heartbeat, signal: work.signal, produced: work.produced };
  const inputs = await module.run(call);
  await checkOutputColumns(db, pipeline, describeTransform(pipeline));
  const files = await rowsPerFile(db, work.files, inputs);
  // A rejected row's raw record: as it landed (joined from `raw`), or the validated row itself.
  const rawRecord =
    inputs.rejectRecord === 'raw'
      ? `to_json(struct_pack(${inputs.rawColumns.map((c) => `${sqlIdent(c)} := r.${sqlIdent(c)}`).join(', ')}))::VARCHAR`
      : `to_json(v)::VARCHAR`;
  const rawJoin = inputs.rejectRecord === 'raw' ? 'JOIN raw r USING (source_file, record_no)' : '';
  const counts = await db.queryOne<{ staged: bigint; invalid: bigint; valid: bigint; keys: bigint }>(
    `SELECT count(*) AS staged, count(*) FILTER (WHERE reject_reason IS NOT NULL) AS invalid,
            count(*) FILTER (WHERE reject_reason IS NULL) AS valid,
            count(DISTINCT (${uniqueKey})) FILTER (WHERE reject_reason IS NULL) AS keys
     FROM validated`,
  );
  // Only rejected rows get their raw record rebuilt as JSON, and only when there are any (it
  // parses their files again): building it for every row is costly.
  const invalidRows = `
    SELECT $pipeline AS pipeline, $run_id AS run_id, 'validate' AS stage, v.source_file, v.record_no,
           v.reject_reason AS reason, ${rawRecord} AS raw_record, now() AS rejected_at
    FROM (SELECT * FROM validated WHERE reject_reason IS NOT NULL) v
    ${rawJoin}
    UNION ALL`;
  // Records the transform rejected itself (a command's CONVEYOR_REJECTS file).
  const ownRejects = `SELECT $pipeline AS pipeline, $run_id AS run_id, 'transform' AS stage, source_file, record_no, reason, raw_record, now() AS rejected_at
       FROM transform_rejects UNION ALL`;
  const rejected = await db.run(
    `COPY (SELECT ${castList(REJECT_COLUMNS)} FROM (
       ${counts.invalid > 0n ? invalidRows : ''}
       ${ownRejects}
       SELECT $pipeline AS pipeline, $run_id AS run_id, 'parse' AS stage, source_file, line AS record_no,
              error AS reason, csv_line AS raw_record, now() AS rejected_at
       FROM malformed)
     ORDER BY stage, source_file, record_no)
     TO ${sqlString(rejectsFile)} (FORMAT parquet, ${stamp})`,
    params,
  );
  // Most partitions have no duplicate keys: pay for the window that keeps each key's first
  // occurrence only when there are some.
  const firstOfEachKey =
    counts.keys === counts.valid ? '' : `QUALIFY row_number() OVER (PARTITION BY ${uniqueKey} ORDER BY source_file, record_no) = 1`;
  const clean = await db
    .run(
      `COPY (SELECT ${castList(columns)} FROM (
         SELECT *, $run_id AS run_id FROM validated WHERE reject_reason IS NULL ${firstOfEachKey}))
       TO ${sqlString(cleanFile)} (FORMAT parquet, ${stamp})`,
      params,
    )
    .catch(async (err: unknown) => {
      // Values that do not fit a declared type: the transform's fault, named by its column.
      throw /Conversion Error|Could not convert/.test(String(err)) ? ((await mistypedColumn(db, pipeline, describeTransform(pipeline))) ?? err) : err;
    });
  const sample = await db.query<{ reason: string; source_file: string; record_no: bigint }>(
    `SELECT reason, source_file, record_no FROM read_parquet(${sqlString(rejectsFile)}) LIMIT ${SAMPLE_REASONS}`,
  );
  const committed = await deps.lake.area.commit(db, {
    staged: rejectsFile,
    target: deps.lake.rejectsFile(pipeline.name, partition),
    version: work.version,
    onUnreadable: work.onUnreadable,
  });
  const staged = Number(counts.staged);
  const invalid = Number(counts.invalid);
  // Rows in: every input row (one validated row each, plus the malformed ones), or, for inputs the
  // SQL aggregates (upstream partitions), the rows it read.
  const rowsIn = inputs.rowsPerFile !== 'validated' ? files.reduce((sum, f) => sum + f.rows, 0) : staged + (rejected - invalid);
  // The kind's own tests (a dbt project's), then the definition's checks.
  const checks = [...(inputs.checks ?? []), ...(await runChecks(db, pipeline, cleanFile, params))];
  return { files, staged, invalid, rejected, clean, sample, rowsIn, committed, checks, transform: { kind: transform.kind, engine: await module.engine(call) } };
}

/**
 * The paths of ingest's snapshot, each checked to be the size ingest wrote: staging files are not
 * flushed to disk, so after an OS crash or power cut one may be short, and a short file must never be
 * published as the partition. A damaged snapshot fails the step (the partition then needs a rerun).
 */
async function checkedSnapshot(deps: ActivityDeps, stagingDir: string, input: TransformInput, step: StepName): Promise<string[]> {
  return Promise.all(
    input.ingested.files.map(async (file) => {
      const resolved = deps.lake.resolveWithin(stagingDir, file.path);
      // Ingest may have run on another worker: a lake in S3 fetches its copy here.
      await deps.lake.area.fetch(resolved, { immutable: true });
      const size = await fs.promises.stat(resolved).then((s) => s.size, () => undefined);
      if (size !== file.bytes) {
        const found = size === undefined ? 'is missing' : `is ${size} bytes`;
        throw classifiedFailure('transient', {
          step,
          message: `the run's snapshot ${file.path} ${found}, ingest wrote ${file.bytes} bytes: staging was damaged (an OS crash?); rerun the partition`,
        });
      }
      return resolved;
    }),
  );
}

/** Rows and malformed lines per snapshot file, for the run's manifest. */
async function rowsPerFile(db: DuckSession, files: string[], inputs: InputsInfo): Promise<FileRowCounts[]> {
  const rowsSql = inputs.rowsPerFile === 'validated' ? 'SELECT source_file, count(*) AS n FROM validated GROUP BY ALL' : inputs.rowsPerFile.sql;
  const rows = await db.query<{ source_file: string; n: bigint }>(rowsSql);
  const bad = await db.query<{ source_file: string; n: bigint }>('SELECT source_file, count(*) AS n FROM malformed GROUP BY ALL');
  const countOf = (list: { source_file: string; n: bigint }[], name: string) => Number(list.find((r) => r.source_file === name)?.n ?? 0);
  return files.map((file) => {
    const name = path.basename(file);
    return { name, rows: countOf(rows, name), malformedRows: countOf(bad, name) };
  });
}
