/**
 * Per-attempt context for a step activity: the attempt number, the version its files are stamped
 * with (lake/commit.ts), heartbeats, and a logger whose every line carries `workflowId`, `runId`,
 * `pipeline`, `partition`, `attempt` and `step`.
 */
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { getLogger, type Logger } from '../platform/logger';
import type { StepInput, StepName } from '../common/run-types';
import type { FileVersion } from '../lake/commit';
import { classifiedFailure } from '../common/failure-classes';
import { PartitionKeyError } from '../common/partitions';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';
import { definitionOfSnapshot, SnapshotError } from '../definitions/snapshot';

export interface StepContext {
  step: StepName;
  attempt: number;
  workflowId: string;
  runId: string;
  /**
   * Stamped into the files this attempt writes: a later run always has a later version, and so does a
   * later attempt of an activity (a local step's attempts share their workflow task's time).
   */
  version: FileVersion;
  /**
   * Names what this attempt writes in staging (`attempt-2.1f3a9c0e`): unique per execution, because a
   * local step run again on another worker (its first worker lost) starts again at attempt 1, while the
   * lost one may still be writing.
   */
  fileTag: string;
  log: Logger;
  startedAt: number;
  elapsedMs(): number;
  /** Heartbeat until `stop()` is called, if the step declares a heartbeat timeout (local activities do not). */
  startHeartbeats(): { stop(): void };
}

export function stepContext(step: StepName, input: StepInput): StepContext {
  const context = Context.current();
  const info = context.info;
  const startedAt = performance.now();
  const ids = {
    // Always set for activities scheduled by a workflow, which is the only way Conveyor runs them.
    workflowId: info.workflowExecution?.workflowId ?? 'none',
    runId: info.workflowExecution?.runId ?? 'none',
    pipeline: input.pipeline,
    partition: input.partition,
    attempt: info.attempt,
  };
  return {
    step,
    attempt: info.attempt,
    workflowId: ids.workflowId,
    runId: ids.runId,
    version: {
      // A local step's schedule time is the worker's clock; the workflow passes its task's server time instead.
      scheduledMs: info.isLocal && input.scheduledMs !== undefined ? input.scheduledMs : info.currentAttemptScheduledTimestampMs,
      runId: ids.runId,
      workflowId: ids.workflowId,
      attempt: info.attempt,
    },
    fileTag: `attempt-${info.attempt}.${randomBytes(4).toString('hex')}`,
    log: getLogger().child({ ...ids, step }),
    startedAt,
    elapsedMs: () => Math.round(performance.now() - startedAt),
    startHeartbeats() {
      const timeoutMs = info.heartbeatTimeoutMs;
      if (!timeoutMs) return { stop: () => undefined };
      // DuckDB works on its own threads, so the event loop stays free to beat while a query runs.
      const timer = setInterval(() => context.heartbeat(), Math.max(200, Math.min(5_000, timeoutMs / 4)));
      context.heartbeat();
      return { stop: () => clearInterval(timer) };
    },
  };
}

/**
 * The step's pipeline as its run resolved it when it started (its snapshot), with the partition
 * checked against the pipeline's scheme. A key of another scheme (a workflow started by hand with
 * `2024-03-01` for an hourly pipeline), or a snapshot the deployed code can no longer run, is a `code`
 * failure of that run, named in one line, never retried.
 */
export function pipelineOfStep(registry: PipelineRegistry, input: StepInput, ctx: Pick<StepContext, 'step' | 'attempt'>): PipelineDefinition {
  try {
    return checkedPartition(definitionOfSnapshot(input.snapshot, registry), input.partition);
  } catch (err) {
    if (!(err instanceof PartitionKeyError || err instanceof SnapshotError)) throw err;
    throw classifiedFailure('code', { step: ctx.step, message: err.message, details: { attempt: ctx.attempt } });
  }
}

/** `pipeline`, with `partition` checked against its scheme (a PartitionKeyError naming the pipeline). */
export function checkedPartition(pipeline: PipelineDefinition, partition: string): PipelineDefinition {
  try {
    partitionSchemeOf(pipeline).parse(partition);
  } catch (err) {
    if (err instanceof PartitionKeyError) throw new PartitionKeyError(`${pipeline.name}: ${err.message}`);
    throw err;
  }
  return pipeline;
}
