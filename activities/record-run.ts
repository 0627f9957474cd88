/**
 * recordRun: write the run's manifest to the lake (`meta/partition_runs/…/<run>.json`), success or
 * failure, so that operators and backfills decide from durable evidence, not memory; then remove the
 * run's staging folder. Retry-safe: a manifest is written once per run, and removing twice is harmless.
 */
import { Context } from '@temporalio/activity';
import { getLogger } from '../platform/logger';
import type { UnfinishedRunRecord } from '../common/run-record';
import { removeRunStaging } from '../lake/janitor';
import { writeManifest } from '../lake/runs';
import type { ActivityDeps } from './deps';
import { recordRunMetrics } from './metrics';

export function makeRecordRun(deps: ActivityDeps) {
  /** `record`: the run's record as the workflow built it; this stamps its `finished_at`. */
  return async function recordRun(record: UnfinishedRunRecord): Promise<void> {
    const info = Context.current().info;
    const log = getLogger().child({
      workflowId: record.workflow_id,
      runId: record.run_id,
      pipeline: record.pipeline,
      partition: record.partition_key,
      attempt: info.attempt,
      step: 'recordRun',
    });
    const written = await writeManifest(deps.lake, { ...record, finished_at: new Date().toISOString() });
    // Counted once per run: a retry that finds the manifest written does not count it again.
    if (written) recordRunMetrics(record);
    await removeRunStaging(deps.lake, record.pipeline, record.partition_key, record.run_id, info.currentAttemptScheduledTimestampMs);
    const failure = record.status === 'failed' ? { failureClass: record.failure_class, step: record.failure_step, reason: record.failure_reason } : undefined;
    log.info({ status: record.status, failure, alreadyRecorded: !written }, 'run manifest recorded');
  };
}
