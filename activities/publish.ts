/**
 * publish: make the run's clean rows the partition's published file, by the commit rule
 * (lake/commit.ts): one atomic rename, only if no newer version is in place. A reader sees the old
 * partition or the new one, never half; a rerun replaces, never duplicates; a zombie attempt of an
 * older run is refused. Retry-safe: when an earlier attempt of this run already committed (and lost
 * its answer), publish finds its file in place and reports it.
 */
import fs from 'node:fs';
import type { PublishInput, PublishResult } from '../common/run-types';
import { readVersion } from '../lake/commit';
import { sqlString } from '../common/sql';
import { withDuckDB, type DuckSession } from '../lake/duckdb';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { pipelineOfStep, stepContext } from './step-context';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PipelineRegistry } from '../definitions/registry';
import { partitionWorkflowId } from '../common/workflow-ids';
import { downstreamPartitionsOf } from '../sources/upstream';
import { dataLandedSignal } from '../workflows/partition-signals';

export function makePublish(deps: ActivityDeps) {
  return async function publish(input: PublishInput): Promise<PublishResult> {
    const ctx = stepContext('publish', input);
    return runClassified(ctx, async () => {
      pipelineOfStep(deps.registry, input, ctx);
      const staged = deps.lake.resolveWithin(deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId), input.clean);
      const target = deps.lake.publishedFile(input.pipeline, input.partition);
      const rowsPublished = await withDuckDB(async (db) => {
        const local = await deps.lake.area.fetch(staged, { immutable: true });
        const version = local === undefined ? undefined : await readVersion(db, local);
        if (version === undefined) {
          const current = await deps.lake.area.versionOf(db, target);
          if (current !== 'unreadable' && current?.runId === ctx.runId) return rowsOf(db, (await deps.lake.area.fetch(target)) ?? target);
          throw new Error(`Internal Error: nothing staged at ${input.clean} and the partition is not published by run ${ctx.runId}`);
        }
        if (version === 'unreadable' || version.runId !== ctx.runId) {
          // Publishing someone else's (or an unstamped) file would publish unvalidated data.
          throw new Error(`Internal Error: ${input.clean} is not a file staged by run ${ctx.runId}`);
        }
        const rows = await rowsOf(db, staged);
        await deps.lake.area.commit(db, {
          staged,
          target,
          version,
          onUnreadable: (file) => ctx.log.warn({ file }, 'replacing a published file that is not valid Parquet'),
        });
        return rows;
      });
      // Downstream partitions waiting for this one check readiness now (polling stays the fallback).
      try {
        const woken = await wakeDownstream(Context.current().client, deps.registry, input.pipeline, input.partition);
        if (woken.length > 0) ctx.log.info({ woken }, 'told waiting downstream partitions');
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'could not tell downstream partitions; they find it at their next poll');
      }
      return { rowsPublished, attempt: ctx.attempt, durationMs: ctx.elapsedMs() };
    });
  };
}

async function rowsOf(db: DuckSession, file: string): Promise<number> {
  if (!fs.existsSync(file)) throw new Error(`Internal Error: ${file} disappeared`);
  const { rows } = await db.queryOne<{ rows: bigint }>(`SELECT sum(num_rows) AS rows FROM parquet_file_metadata(${sqlString(file)})`);
  return Number(rows);
}

/**
 * After `pipeline/partition` is published: tell the downstream partitions that read it and are
 * running (waiting for it, most likely) to check readiness now, not at their next poll. One signal
 * each; a partition not running is not there to tell (its run will find the data when it starts).
 */
async function wakeDownstream(client: Client, registry: PipelineRegistry, pipeline: string, partition: string): Promise<string[]> {
  const woken: string[] = [];
  for (const down of downstreamPartitionsOf(registry, pipeline, partition)) {
    const workflowId = partitionWorkflowId(down.pipeline, down.partition);
    try {
      await client.workflow.getHandle(workflowId).signal(dataLandedSignal, { by: `publish of ${pipeline}/${partition}`, at: new Date().toISOString() });
      woken.push(workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return woken;
}
