/**
 * publish: replace exactly this partition in the published ("showroom") table, record it as
 * published, and clear its staging rows — in one transaction. A rerun replaces, never duplicates;
 * a crash leaves either the old partition or the new one, never half of either.
 */
import type { PublishResult, StepInput } from '../common/run-types';
import { pipelineTables } from '../pipelines/definition';
import { ensureWarehouseSchema } from '../warehouse/schema';
import { sqlIdent } from '../warehouse/warehouse';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { stepContext } from './step-context';

export function makePublish(deps: ActivityDeps) {
  return async function publish(input: StepInput): Promise<PublishResult> {
    const ctx = stepContext('publish', input);
    return runClassified(ctx, async () => {
      const pipeline = deps.registry.get(input.pipeline);
      await ensureWarehouseSchema(deps.warehouse, [pipeline]);
      const tables = pipelineTables(pipeline);
      const params = {
        pipeline: input.pipeline,
        partition: input.partition,
        run_id: ctx.runId,
        workflow_id: ctx.workflowId,
      };
      const columns = pipeline.warehouse.columns.map((c) => sqlIdent(c.name)).join(', ');

      const rowsPublished = await deps.warehouse.transaction(async (db) => {
        const staged = await db.queryOne<{ rows: bigint; runs: bigint; run_id: string | null }>(
          `SELECT count(*) AS rows, count(DISTINCT run_id) AS runs, any_value(run_id) AS run_id
           FROM ${tables.clean} WHERE partition_key = $partition`,
          params,
        );
        if (Number(staged.rows) === 0 || staged.run_id !== ctx.runId) {
          // Publishing someone else's (or nobody's) staged rows would publish unvalidated data.
          throw new Error(
            `Internal Error: no rows staged by run ${ctx.runId} for ${input.pipeline}/${input.partition} (found ${staged.rows} from ${staged.run_id ?? 'no run'})`,
          );
        }
        await db.run(`DELETE FROM ${tables.published} WHERE partition_key = $partition`, params);
        await db.run(
          `INSERT INTO ${tables.published} (partition_key, ${columns}, run_id, published_at)
           SELECT partition_key, ${columns}, run_id, now() FROM ${tables.clean} WHERE partition_key = $partition`,
          params,
        );
        await db.run(
          `INSERT OR REPLACE INTO meta.published_partitions VALUES ($pipeline, $partition, $run_id, $workflow_id, $rows, now())`,
          { ...params, rows: Number(staged.rows) },
        );
        await db.run(`DELETE FROM ${tables.clean} WHERE partition_key = $partition`, params);
        await db.run(`DELETE FROM ${tables.raw} WHERE partition_key = $partition`, params);
        return Number(staged.rows);
      });
      return { rowsPublished, attempt: ctx.attempt, durationMs: ctx.elapsedMs() };
    });
  };
}
