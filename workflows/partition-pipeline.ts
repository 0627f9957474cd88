/**
 * partitionPipeline: one partition of one pipeline, end to end — await landing → ingest →
 * transform → publish — then a manifest of what happened. Orchestration only: every piece of work
 * is an activity; this code decides order, timeouts, retries and what to record.
 *
 * Workflow ID: `<pipeline>/<partition>` (one run of a partition at a time).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConveyorActivities } from '../activities';
import {
  FAILURE_TYPE,
  failureClassOfType,
  readinessRetryPolicy,
  workStepRetryPolicy,
  type FailureDetails,
} from '../common/failure-classes';
import type {
  FileRowCounts,
  IngestedFile,
  IngestResult,
  LandedFileRecord,
  PartitionFailure,
  PartitionRunResult,
  PublishResult,
  ReadinessResult,
  RunManifest,
  StepInput,
  StepName,
  TransformResult,
} from '../common/run-types';
import { BACKFILL_ID_SA, PARTITION_SA, PIPELINE_SA, RUN_KIND_SA } from '../common/search-attributes';
import { describeInputError, partitionRunInputSchema, type PartitionRunInput } from './partition-input';
import { addCompletionListenerSignal, partitionFinishedSignal, reportedFailureOf, type PartitionFinishedReport } from './partition-signals';

export async function partitionPipeline(rawInput: PartitionRunInput): Promise<PartitionRunResult> {
  const parsed = partitionRunInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPE.code,
      message: describeInputError(parsed.error, rawInput),
      nonRetryable: true,
    });
  }
  const input = parsed.data;
  // Backfills that found this run already going (or whose earlier run started it) ask to be told.
  const listeners = new Set<string>();
  setHandler(addCompletionListenerSignal, (workflowId) => void listeners.add(workflowId));
  try {
    const result = await runPartition(input);
    await report(listeners, { partition: input.partition, workflowId: result.workflowId, runId: result.runId, status: 'succeeded', rowsPublished: result.rows.published });
    return result;
  } catch (err) {
    const info = workflowInfo();
    await CancellationScope.nonCancellable(() =>
      report(listeners, {
        partition: input.partition,
        workflowId: info.workflowId,
        runId: info.runId,
        status: isCancellation(err) ? 'cancelled' : 'failed',
        failure: reportedFailureOf(err),
      }),
    );
    throw err;
  }
}

/** Tell every listener the outcome. A listener that is gone (e.g. a cancelled backfill) is skipped. */
async function report(listeners: Set<string>, outcome: PartitionFinishedReport): Promise<void> {
  for (const workflowId of listeners) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(partitionFinishedSignal, outcome);
    } catch (err) {
      log.warn('could not report partition outcome', { listener: workflowId, error: String(err) });
    }
  }
}

async function runPartition(input: PartitionRunInput): Promise<PartitionRunResult> {
  const info = workflowInfo();
  ensureSearchAttributes(input);

  const steps = stepActivities(input);
  const stepInput = { pipeline: input.pipeline, partition: input.partition };
  const manifest: RunManifest = {
    pipeline: input.pipeline,
    partition: input.partition,
    workflowId: info.workflowId,
    runId: info.runId,
    runKind: input.runKind,
    backfillId: input.backfillId,
    status: 'succeeded',
    rows: {},
    files: [],
    attempts: {},
    durationsMs: {},
    startedAt: info.startTime.toISOString(),
  };
  let current: StepName = 'awaitLanding';
  const record = (step: StepName, result: { attempt: number; durationMs: number }) => {
    manifest.attempts[step] = result.attempt;
    manifest.durationsMs[step] = result.durationMs;
  };

  try {
    setCurrentDetails(`waiting for ${input.pipeline}/${input.partition} to land`);
    const landed: ReadinessResult = await steps.awaitLanding(stepInput);
    record(current, landed);

    current = 'ingest';
    setCurrentDetails(`ingesting ${landed.files} file(s), ${landed.bytes} bytes`);
    const ingested: IngestResult = await steps.ingest(stepInput);
    record(current, ingested);
    manifest.files = ingested.files;

    current = 'transform';
    setCurrentDetails(`transforming ${ingested.files.length} file(s), ${ingested.bytes} bytes`);
    const transformed: TransformResult = await steps.transform({ ...stepInput, ingested: ingested.staged });
    record(current, transformed);
    manifest.files = withRowCounts(ingested.files, transformed.files);
    manifest.rows = { in: transformed.rowsIn, rejected: transformed.rowsRejected, duplicate: transformed.rowsDuplicate };

    current = 'publish';
    setCurrentDetails(`publishing ${transformed.rowsOut} rows`);
    const published: PublishResult = await steps.publish({ ...stepInput, clean: transformed.staged });
    record(current, published);
    manifest.rows.published = published.rowsPublished;
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() =>
        steps.recordRun({ ...manifest, status: 'failed', failure: { failureClass: 'code', step: current, reason: 'cancelled' } }),
      );
      throw err;
    }
    const failure = describeFailure(err, current);
    manifest.status = 'failed';
    manifest.failure = failure;
    if (failure.attempt !== undefined) manifest.attempts[current] = failure.attempt;
    await steps.recordRun(manifest);
    setCurrentDetails(`FAILED at ${failure.step} (${failure.failureClass}): ${failure.reason}`);
    log.warn('partition failed', { pipeline: input.pipeline, partition: input.partition, ...failure });
    throw ApplicationFailure.create({
      type: FAILURE_TYPE[failure.failureClass],
      message: `${input.pipeline}/${input.partition} failed at ${failure.step} (${failure.failureClass} failure): ${failure.reason}`,
      nonRetryable: true,
      details: [failure],
    });
  }

  await steps.recordRun(manifest);
  const rows = manifest.rows;
  setCurrentDetails(`published ${rows.published} rows (${rows.rejected} rejected, ${rows.duplicate} duplicates)`);
  return {
    pipeline: input.pipeline,
    partition: input.partition,
    workflowId: info.workflowId,
    runId: info.runId,
    runKind: input.runKind,
    status: 'succeeded',
    rows: { in: rows.in ?? 0, rejected: rows.rejected ?? 0, duplicate: rows.duplicate ?? 0, published: rows.published ?? 0 },
    files: manifest.files.length,
    attempts: manifest.attempts as Record<StepName, number>,
    durationsMs: manifest.durationsMs as Record<StepName, number>,
  };
}

/**
 * A lost worker's step is noticed by its missed heartbeats, so the partition resumes elsewhere within
 * about this long, not after the step's whole start-to-close timeout.
 */
export const STEP_HEARTBEAT_TIMEOUT = '20 seconds';

/** Activity stubs with each step's timeout and retry policy. */
function stepActivities(input: PartitionRunInput) {
  const work = proxyActivities<ConveyorActivities>({
    startToCloseTimeout: `${input.steps.timeoutSeconds} seconds`,
    heartbeatTimeout: STEP_HEARTBEAT_TIMEOUT,
    retry: workStepRetryPolicy(input.steps.maxAttempts),
  });
  const readiness = proxyActivities<ConveyorActivities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: `${input.readiness.timeoutSeconds} seconds`,
    retry: readinessRetryPolicy(input.readiness.pollIntervalSeconds),
    summary: `await landing of ${input.pipeline}/${input.partition}`,
  });
  // The manifest write is a few milliseconds of file I/O: as a local activity it costs no task-queue
  // round trip and fewer history events.
  const localBookkeeping = proxyLocalActivities<ConveyorActivities>({
    startToCloseTimeout: '1 minute',
    retry: workStepRetryPolicy(10),
  });
  // Data has usually landed already (always, in a backfill): one quick local check then costs no
  // task-queue round trip. Only when it has not does the sensor fall back to the activity whose
  // server-side retries poll until the deadline — no worker slot held, no history growth per poll.
  const quickReadiness = proxyLocalActivities<ConveyorActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });
  const awaitLanding = async (stepInput: StepInput): Promise<ReadinessResult> => {
    try {
      return await quickReadiness.awaitLanding(stepInput);
    } catch (err) {
      if (!isRetryableStepFailure(err)) throw err;
    }
    const polled = await readiness.awaitLanding(stepInput);
    return { ...polled, attempt: polled.attempt + 1 }; // the quick check was the first poll
  };
  return {
    awaitLanding,
    ingest: work.ingest,
    transform: work.transform,
    publish: work.publish,
    recordRun: localBookkeeping.recordRun,
  };
}

/**
 * The classified failure a step raised. An activity's arrives wrapped in an ActivityFailure; a local
 * activity whose single attempt failed can arrive as the bare ApplicationFailure.
 */
function stepFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

/** Anything but a data or code failure (not ready, a glitch, a timeout) is worth polling again. */
function isRetryableStepFailure(err: unknown): boolean {
  if (isCancellation(err)) return false;
  const failureClass = failureClassOfType(stepFailureOf(err)?.type);
  return failureClass !== 'data' && failureClass !== 'code';
}

/** Ingest's record of each file, with the rows transform found in it. */
function withRowCounts(files: LandedFileRecord[], counts: FileRowCounts[]): IngestedFile[] {
  return files.map((f) => {
    const found = counts.find((c) => c.name === f.name);
    return found ? { ...f, rows: found.rows, malformedRows: found.malformedRows } : f;
  });
}

/** Runs started without Conveyor's client (e.g. `temporal workflow start`) still become findable. */
function ensureSearchAttributes(input: PartitionRunInput): void {
  const current = workflowInfo().typedSearchAttributes;
  if (current.get(PIPELINE_SA) !== undefined) return;
  upsertSearchAttributes([
    { key: PIPELINE_SA, value: input.pipeline },
    { key: PARTITION_SA, value: input.partition },
    { key: RUN_KIND_SA, value: input.runKind },
    ...(input.backfillId ? [{ key: BACKFILL_ID_SA, value: input.backfillId }] : []),
  ]);
}

/** Class, step and reason of a step failure, from the classified failure its activity raised. */
function describeFailure(err: unknown, step: StepName): PartitionFailure {
  const classified = stepFailureOf(err);
  if (classified) {
    const details = (classified.details?.[0] ?? {}) as Partial<FailureDetails>;
    return {
      failureClass: failureClassOfType(classified.type) ?? 'code',
      step,
      reason: classified.message,
      attempt: details.attempt,
      rejectedRows: details.rejectedRows,
      totalRows: details.totalRows,
      sampleReasons: details.sampleReasons,
    };
  }
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    const { timeoutType } = err.cause;
    // The readiness deadline passing means upstream never delivered: a dependency failure.
    return step === 'awaitLanding'
      ? { failureClass: 'dependency', step, reason: `data did not land before the readiness deadline (${timeoutType})` }
      : { failureClass: 'transient', step, reason: `timed out (${timeoutType}) after all retries` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { failureClass: 'code', step, reason: message };
}
