/**
 * transform: run the pipeline's validation SQL over the partition's staged rows, send invalid rows
 * to the reject bin with their reason, drop duplicates on the unique key, and write the clean rows
 * to `staging.<pipeline>_clean` — all in one transaction, set-based inside DuckDB.
 * When more rows were rejected than the pipeline tolerates, the partition fails as a `data` failure
 * (never retried) carrying the reject count and a sample of reasons.
 */
import { classifiedFailure } from '../common/failure-classes';
import type { StepInput, TransformResult } from '../common/run-types';
import { pipelineTables } from '../pipelines/definition';
import { ensureWarehouseSchema } from '../warehouse/schema';
import { sqlIdent } from '../warehouse/warehouse';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { stepContext } from './step-context';

const SAMPLE_REASONS = 5;

export function makeTransform(deps: ActivityDeps) {
  return async function transform(input: StepInput): Promise<TransformResult> {
    const ctx = stepContext('transform', input);
    return runClassified(ctx, async () => {
      const pipeline = deps.registry.get(input.pipeline);
      await ensureWarehouseSchema(deps.warehouse, [pipeline]);
      const tables = pipelineTables(pipeline);
      const params = { pipeline: input.pipeline, partition: input.partition, run_id: ctx.runId };
      const columns = pipeline.warehouse.columns.map((c) => sqlIdent(c.name)).join(', ');
      const uniqueKey = pipeline.warehouse.uniqueKey.map(sqlIdent).join(', ');

      const counts = await deps.warehouse.transaction(async (db) => {
        await db.run(
          `CREATE OR REPLACE TEMP TABLE validated AS
           WITH raw AS (SELECT * FROM ${tables.raw} WHERE partition_key = $partition)
           ${pipeline.warehouse.validateSql}`,
          params,
        );
        await db.run(
          `DELETE FROM quality.rejects WHERE pipeline = $pipeline AND partition_key = $partition AND stage = 'transform'`,
          params,
        );
        await db.run(
          `INSERT INTO quality.rejects
           SELECT $pipeline, $partition, $run_id, 'transform', source_file, record_no, reject_reason, raw_record, now()
           FROM validated WHERE reject_reason IS NOT NULL`,
          params,
        );
        await db.run(`DELETE FROM ${tables.clean} WHERE partition_key = $partition`, params);
        await db.run(
          `INSERT INTO ${tables.clean} (partition_key, ${columns}, run_id)
           SELECT $partition, ${columns}, $run_id FROM validated
           WHERE reject_reason IS NULL
           QUALIFY row_number() OVER (PARTITION BY ${uniqueKey} ORDER BY source_file, record_no) = 1`,
          params,
        );
        const row = await db.queryOne<Record<string, bigint>>(
          `SELECT
             (SELECT count(*) FROM validated) AS staged,
             (SELECT count(*) FROM validated WHERE reject_reason IS NULL) AS valid,
             (SELECT count(*) FROM quality.rejects WHERE pipeline = $pipeline AND partition_key = $partition) AS rejected,
             (SELECT count(*) FROM ${tables.clean} WHERE partition_key = $partition) AS clean`,
          params,
        );
        await db.run('DROP TABLE validated');
        return row;
      });

      const rejected = Number(counts.rejected); // malformed at ingest + invalid here
      const invalidHere = Number(counts.staged) - Number(counts.valid);
      const malformedAtIngest = rejected - invalidHere;
      const rowsIn = Number(counts.staged) + malformedAtIngest;
      const result: TransformResult = {
        rowsIn,
        rowsValid: Number(counts.valid),
        rowsRejected: rejected,
        rowsDuplicate: Number(counts.valid) - Number(counts.clean),
        rowsOut: Number(counts.clean),
        attempt: ctx.attempt,
        durationMs: ctx.elapsedMs(),
      };

      const allowed = pipeline.quality.maxRejectedRatio;
      if (rejected > 0 && (rowsIn === 0 || rejected / rowsIn > allowed)) {
        const sample = await deps.warehouse.withSession((db) =>
          db.query<{ reason: string; source_file: string; record_no: bigint }>(
            `SELECT reason, source_file, record_no FROM quality.rejects
             WHERE pipeline = $pipeline AND partition_key = $partition
             ORDER BY stage, source_file, record_no LIMIT ${SAMPLE_REASONS}`,
            params,
          ),
        );
        const sampleReasons = sample.map((r) => `${r.source_file}#${r.record_no}: ${r.reason}`);
        const percent = ((rejected / Math.max(rowsIn, 1)) * 100).toFixed(1);
        throw classifiedFailure('data', {
          step: ctx.step,
          message:
            `${rejected} of ${rowsIn} rows rejected (${percent}% > ${allowed * 100}% allowed); ` +
            `e.g. ${sampleReasons[0] ?? 'no reason recorded'}`,
          details: { attempt: ctx.attempt, rejectedRows: rejected, totalRows: rowsIn, sampleReasons },
        });
      }
      if (result.rowsOut === 0) {
        throw classifiedFailure('data', {
          step: ctx.step,
          message: `no valid rows for ${input.pipeline}/${input.partition} (${rowsIn} rows in)`,
          details: { attempt: ctx.attempt, rejectedRows: rejected, totalRows: rowsIn },
        });
      }
      return result;
    });
  };
}
