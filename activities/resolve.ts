/**
 * resolvePartitionRun: the first thing a partition run does. It takes the pipeline's definition as
 * deployed now (its snapshot) and the readiness polling and step limits of this kind of run; as a
 * local activity, its result is recorded in the run's history, so the run uses that one version of its
 * pipeline from start to end (a deploy in between does not change it) and replays deterministically.
 * An unknown pipeline or a key of another scheme is a `code` failure, named in one line, never retried.
 */
import { transformOf } from '../transforms';
import { classifiedFailure } from '../common/failure-classes';
import { PartitionKeyError } from '../common/partitions';
import type { PythonStep, ResolvedPartitionRun } from '../common/run-types';
import { Context } from '@temporalio/activity';
import type { PipelineDefinition } from '../definitions/definition';
import { pythonCallOf } from '../transforms/python';
import type { PythonWorkerTransform } from '../definitions/transform-schema';
import type { RunKind } from '../common/search-attributes';
import { InputError } from '../common/errors';
import { snapshotOf } from '../definitions/snapshot';
import type { ActivityDeps } from './deps';
import { checkedPartition } from './step-context';

/** A backfill's runs poll at most this often: their data is history, there or not. */
export const BACKFILL_MAX_POLL_SECONDS = 15;

export function makeResolvePartitionRun(deps: ActivityDeps) {
  return async function resolvePartitionRun(input: { pipeline: string; partition: string; runKind: RunKind }): Promise<ResolvedPartitionRun> {
    let pipeline;
    try {
      pipeline = checkedPartition(deps.registry.get(input.pipeline), input.partition);
    } catch (err) {
      if (!(err instanceof InputError || err instanceof PartitionKeyError)) throw err;
      throw classifiedFailure('code', { step: 'awaitLanding', message: err.message, details: { attempt: 1 } });
    }
    const { pollIntervalSeconds, timeoutSeconds, backfillTimeoutSeconds } = pipeline.readiness;
    const readiness =
      input.runKind === 'backfill'
        ? { pollIntervalSeconds: Math.min(pollIntervalSeconds, BACKFILL_MAX_POLL_SECONDS), timeoutSeconds: backfillTimeoutSeconds }
        : { pollIntervalSeconds, timeoutSeconds };
    // A function source's calls, or a transform that runs outside this process (a command), can run
    // long: their steps always heartbeat, as activities.
    const inProcess = pipeline.source.kind !== 'function' && transformOf(pipeline).module.runsInProcess;
    const steps = { ...pipeline.steps, localBelowBytes: inProcess ? pipeline.steps.localBelowBytes : 0 };
    const { transform } = pipeline;
    const python = transform.kind === 'python' || transform.kind === 'spark' ? pythonStepOf(deps, pipeline, transform, input.partition) : undefined;
    return { snapshot: snapshotOf(pipeline), readiness, steps, ...(python ? { python } : {}) };
  };
}

/** A `python` or `spark` transform's step: the Python worker's task queue, the function, and what it reads and where it writes. */
function pythonStepOf(deps: ActivityDeps, pipeline: PipelineDefinition, transform: PythonWorkerTransform, partition: string): PythonStep {
  const runId = Context.current().info.workflowExecution?.runId ?? 'none';
  return {
    ...pythonCallOf(pipeline, transform, partition, deps.registry.folderOf(pipeline.name) ?? ''),
    taskQueue: transform.taskQueue ?? deps.pythonTaskQueue,
    stagingDir: deps.lake.relative(deps.lake.runStagingDir(pipeline.name, partition, runId)),
  };
}
