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

      const rawColumns = pipeline.landing.columns.map((c) => `${sqlIdent(c)} := r.${sqlIdent(c)}`).join(', ');
      // The validated rows are materialized once; only rejected rows get their raw record rebuilt
      // as JSON (building it for every row cost ~40% of this step), and inserted-row counts come
      // from the statements themselves instead of re-scanning tables.
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
        const invalid = await db.run(
          `INSERT INTO quality.rejects
           SELECT $pipeline, $partition, $run_id, 'transform', v.source_file, v.record_no, v.reject_reason,
                  to_json(struct_pack(${rawColumns}))::VARCHAR, now()
           FROM validated v
           JOIN ${tables.raw} r ON r.partition_key = $partition AND r.source_file = v.source_file AND r.record_no = v.record_no
           WHERE v.reject_reason IS NOT NULL`,
          params,
        );
        await db.run(`DELETE FROM ${tables.clean} WHERE partition_key = $partition`, params);
        const clean = await db.run(
          `INSERT INTO ${tables.clean} (partition_key, ${columns}, run_id)
           SELECT $partition, ${columns}, $run_id FROM validated
           WHERE reject_reason IS NULL
           QUALIFY row_number() OVER (PARTITION BY ${uniqueKey} ORDER BY source_file, record_no) = 1`,
          params,
        );
        const found = await db.queryOne<{ staged: bigint; malformed: bigint }>(
          `SELECT (SELECT count(*) FROM validated) AS staged,
                  (SELECT count(*) FROM quality.rejects
                   WHERE pipeline = $pipeline AND partition_key = $partition AND stage = 'ingest') AS malformed`,
          params,
        );
        await db.run('DROP TABLE validated');
        const staged = Number(found.staged);
        return { staged, valid: staged - invalid, malformedAtIngest: Number(found.malformed), clean };
      });

      const invalidHere = counts.staged - counts.valid;
      const rejected = counts.malformedAtIngest + invalidHere;
      const rowsIn = counts.staged + counts.malformedAtIngest;
      const result: TransformResult = {
        rowsIn,
        rowsValid: counts.valid,
        rowsRejected: rejected,
        rowsDuplicate: counts.valid - counts.clean,
        rowsOut: counts.clean,
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
