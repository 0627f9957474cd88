/**
 * recordRun: write the run's manifest row (`meta.partition_runs`), success or failure, so that
 * operators and backfills decide from durable evidence, not memory. Upsert by run id: retry-safe.
 */
import { Context } from '@temporalio/activity';
import { getLogger } from '../common/logger';
import type { RunManifest } from '../common/run-types';
import { ensureWarehouseSchema } from '../warehouse/schema';
import type { ActivityDeps } from './deps';

export function makeRecordRun(deps: ActivityDeps) {
  return async function recordRun(manifest: RunManifest): Promise<void> {
    const info = Context.current().info;
    const log = getLogger().child({
      workflowId: manifest.workflowId,
      runId: manifest.runId,
      pipeline: manifest.pipeline,
      partition: manifest.partition,
      attempt: info.attempt,
      step: 'recordRun',
    });
    await ensureWarehouseSchema(deps.warehouse, []);
    await deps.warehouse.withSession((db) =>
      db.run(
        `INSERT OR REPLACE INTO meta.partition_runs VALUES (
           $run_id, $workflow_id, $pipeline, $partition, $run_kind, $backfill_id, $status,
           $failure_class, $failure_step, $failure_reason,
           $rows_in, $rows_rejected, $rows_duplicate, $rows_published,
           $files, $attempts, $durations_ms, $started_at::TIMESTAMP, now())`,
        {
          run_id: manifest.runId,
          workflow_id: manifest.workflowId,
          pipeline: manifest.pipeline,
          partition: manifest.partition,
          run_kind: manifest.runKind,
          backfill_id: manifest.backfillId ?? null,
          status: manifest.status,
          failure_class: manifest.failure?.failureClass ?? null,
          failure_step: manifest.failure?.step ?? null,
          failure_reason: manifest.failure?.reason ?? null,
          rows_in: manifest.rows.in ?? null,
          rows_rejected: manifest.rows.rejected ?? null,
          rows_duplicate: manifest.rows.duplicate ?? null,
          rows_published: manifest.rows.published ?? null,
          files: JSON.stringify(manifest.files),
          attempts: JSON.stringify(manifest.attempts),
          durations_ms: JSON.stringify(manifest.durationsMs),
          started_at: manifest.startedAt,
        },
      ),
    );
    log.info({ status: manifest.status, failure: manifest.failure }, 'run manifest recorded');
  };
}
