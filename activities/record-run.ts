/**
 * recordRun: write the run's manifest to the lake (`meta/partition_runs/…/<run>.json`), success or
 * failure, so that operators and backfills decide from durable evidence, not memory; then remove the
 * run's staging folder. Retry-safe: a manifest is written once per run, and removing twice is harmless.
 */
import { Context } from '@temporalio/activity';
import { getLogger } from '../platform/logger';
import type { RunManifest } from '../common/run-types';
import { removeRunStaging } from '../lake/janitor';
import { manifestRecordOf, writeManifest } from '../lake/runs';
import type { ActivityDeps } from './deps';
import { recordRunMetrics } from './metrics';

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
    const written = await writeManifest(deps.lake, manifestRecordOf(manifest, new Date()));
    // Counted once per run: a retry that finds the manifest written does not count it again.
    if (written) recordRunMetrics(manifest);
    await removeRunStaging(deps.lake, manifest.pipeline, manifest.partition, manifest.runId, info.currentAttemptScheduledTimestampMs);
    log.info({ status: manifest.status, failure: manifest.failure, alreadyRecorded: !written }, 'run manifest recorded');
  };
}
