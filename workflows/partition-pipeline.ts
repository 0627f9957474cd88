/**
 * partitionPipeline: one partition of one pipeline, end to end — await landing → ingest →
 * transform → publish — then a manifest of what happened. Orchestration only: every piece of work
 * is an activity; this code decides order, timeouts, retries and what to record.
 *
 * Workflow ID: `<pipeline>.<partition>` (common/workflow-ids.ts) (one run of a partition at a time).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  condition,
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
  classifiedFailure,
  FAILURE_TYPE,
  failureClassOfType,
  readinessRetryPolicy,
  workStepRetryPolicy,
  type FailureDetails,
} from '../common/failure-classes';
import type { OVERRIDE_KINDS, RunRecord, UnfinishedRunRecord } from '../common/run-record';
import type {
  FileRowCounts,
  IngestResult,
  IngestStaged,
  LandedFileRecord,
  PartitionFailure,
  PartitionRunResult,
  PublishResult,
  PythonStep,
  PythonTransformRequest,
  PythonTransformResult,
  ReadinessResult,
  ResolvedPartitionRun,
  StepInput,
  StepName,
  TransformResult,
} from '../common/run-types';
import { inputsByView } from '../common/inputs';
import { partitionSearchAttributes, PIPELINE_SA } from '../common/search-attributes';
import { describeInputError, PARTITION_RUN_INPUT_FIELDS, partitionRunInputSchema, type PartitionRunInput, type PartitionRunRequestInput } from './partition-input';
import {
  addCompletionListenerSignal,
  dataLandedSignal,
  forceReadinessUpdate,
  partitionFinishedSignal,
  reportedFailureOf,
  type OverrideStamp,
  type PartitionFinishedReport,
} from './partition-signals';

export async function partitionPipeline(rawInput: PartitionRunRequestInput): Promise<PartitionRunResult> {
  const parsed = partitionRunInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPE.code,
      message: describeInputError(parsed.error, rawInput, PARTITION_RUN_INPUT_FIELDS),
      nonRetryable: true,
    });
  }
  const input = parsed.data;
  // Backfills that found this run already going (or whose earlier run started it) ask to be told.
  const listeners = new Set<string>();
  setHandler(addCompletionListenerSignal, (workflowId) => void listeners.add(workflowId));
  // A notify or a force can arrive before the run gets to its sensor (signal-with-start): kept until then.
  const wake: ReadinessWake = { landed: 0, waiting: false };
  setHandler(dataLandedSignal, () => void (wake.landed += 1));
  // An Update, so the operator learns whether the run was still waiting (and only then is it recorded).
  setHandler(forceReadinessUpdate, (stamp) => {
    if (!wake.waiting || wake.forced) return false;
    wake.forced = stamp;
    return true;
  });
  try {
    const result = await runPartition(input, wake);
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

async function runPartition(input: PartitionRunInput, wake: ReadinessWake): Promise<PartitionRunResult> {
  const info = workflowInfo();
  ensureSearchAttributes(input);

  // The pipeline as deployed now, once: every step gets this snapshot (recorded in the history). An
  // unknown pipeline or a key of another scheme fails here, with no run record (there is no such partition).
  let run: ResolvedPartitionRun;
  try {
    run = await resolve.resolvePartitionRun({ pipeline: input.pipeline, partition: input.partition, runKind: input.runKind });
  } catch (err) {
    throw failedRun(input, describeFailure(err, 'awaitLanding'));
  }
  const steps = stepActivities(input, run);
  const stepInput: StepInput = { pipeline: input.pipeline, partition: input.partition, snapshot: run.snapshot };
  // The run's record (common/run-record.ts), filled in as the steps go; recordRun stamps `finished_at`.
  const record: UnfinishedRunRecord = {
    run_id: info.runId,
    workflow_id: info.workflowId,
    pipeline: input.pipeline,
    partition_key: input.partition,
    run_kind: input.runKind,
    backfill_id: input.backfillId ?? null,
    status: 'succeeded',
    failure_class: null,
    failure_step: null,
    failure_reason: null,
    rows_in: null,
    rows_rejected: null,
    rows_duplicate: null,
    rows_published: null,
    files: [],
    attempts: {},
    durations_ms: {},
    started_at: info.startTime.toISOString(),
    overrides: input.override ? [overrideOf(input.override.kind, input.override)] : [],
    transform: null,
    upstream: [],
  };
  let current: StepName = 'awaitLanding';
  const done = (step: StepName, result: { attempt: number; durationMs: number }) => {
    record.attempts[step] = result.attempt;
    record.durations_ms[step] = result.durationMs;
  };

  try {
    setCurrentDetails(`waiting for ${input.pipeline}/${input.partition} to land`);
    wake.waiting = true;
    const landed: ReadinessResult = await steps.awaitLanding(stepInput, wake).finally(() => (wake.waiting = false));
    done(current, landed);
    if (wake.forced) record.overrides = [...record.overrides, overrideOf('force', wake.forced)];

    // A small partition's ingest and transform run as local activities, in this workflow's own task.
    const local = landed.bytes < run.steps.localBelowBytes;
    const work = local ? steps.local : steps.work;
    const workInput: StepInput = local ? { ...stepInput, scheduledMs: Date.now() } : stepInput;

    current = 'ingest';
    setCurrentDetails(`ingesting ${landed.files} file(s), ${landed.bytes} bytes${local ? ' (local step)' : ''}`);
    // Forced past readiness: ingest takes the files that are there, marker or not.
    const ingested: IngestResult = await work.ingest(wake.forced ? { ...workInput, force: true } : workInput);
    done(current, ingested);
    record.files = withRowCounts(ingested.files, []);
    if (ingested.upstream) record.upstream = ingested.upstream.map((u) => ({ pipeline: u.pipeline, partition_key: u.partition, run_id: u.runId }));

    current = 'transform';
    setCurrentDetails(`transforming ${ingested.files.length} file(s), ${ingested.bytes} bytes (${transformLabel(run)})`);
    // A `python` function or `spark` job runs first, on the Python worker; transform then finishes its rows.
    const produced = steps.python ? await steps.python(ingested.staged) : undefined;
    const transformed: TransformResult = await work.transform({ ...workInput, ingested: ingested.staged, ...(produced ? { produced } : {}) });
    done(current, transformed);
    record.files = withRowCounts(ingested.files, transformed.files);
    record.rows_in = transformed.rowsIn;
    record.rows_rejected = transformed.rowsRejected;
    record.rows_duplicate = transformed.rowsDuplicate;
    record.transform = transformed.transform;
    record.checks = transformed.checks;

    current = 'publish';
    setCurrentDetails(`publishing ${transformed.rowsOut} rows`);
    // Publish is always an activity: the lake's commit of the partition, with a heartbeat.
    const published: PublishResult = await steps.work.publish({ ...stepInput, clean: transformed.staged });
    done(current, published);
    record.rows_published = published.rowsPublished;
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() =>
        steps.recordRun({ ...record, status: 'failed', failure_class: 'code', failure_step: current, failure_reason: 'cancelled' }),
      );
      throw err;
    }
    const failure = describeFailure(err, current);
    record.status = 'failed';
    record.failure_class = failure.failureClass;
    record.failure_step = failure.step;
    record.failure_reason = failure.reason;
    if (failure.attempt !== undefined) record.attempts[current] = failure.attempt;
    // A data failure's evidence (rows read and rejected) goes into the run record too.
    if (failure.rejectedRows !== undefined) {
      record.rows_in = failure.totalRows ?? null;
      record.rows_rejected = failure.rejectedRows;
    }
    if (failure.checks) record.checks = failure.checks;
    await steps.recordRun(record);
    setCurrentDetails(`FAILED at ${failure.step} (${failure.failureClass}): ${failure.reason}`);
    log.warn('partition failed', { pipeline: input.pipeline, partition: input.partition, ...failure });
    throw failedRun(input, failure);
  }

  await steps.recordRun(record);
  setCurrentDetails(`published ${record.rows_published} rows (${record.rows_rejected} rejected, ${record.rows_duplicate} duplicates)${record.transform ? `, made by ${record.transform.kind}: ${record.transform.engine}` : ''}`);
  return {
    pipeline: input.pipeline,
    partition: input.partition,
    workflowId: info.workflowId,
    runId: info.runId,
    runKind: input.runKind,
    status: 'succeeded',
    rows: { in: record.rows_in ?? 0, rejected: record.rows_rejected ?? 0, duplicate: record.rows_duplicate ?? 0, published: record.rows_published ?? 0 },
    files: record.files.length,
    attempts: record.attempts as Record<StepName, number>,
    durationsMs: record.durations_ms as Record<StepName, number>,
  };
}

/** An operator's override as the run's record keeps it. */
function overrideOf(kind: (typeof OVERRIDE_KINDS)[number], stamp: OverrideStamp): RunRecord['overrides'][number] {
  return { kind, reason: stamp.reason, requested_by: stamp.by, requested_at: stamp.at };
}

/** The run's failure, as callers see it: its class as the type, one line naming step and reason, the record as details. */
function failedRun(input: PartitionRunInput, failure: PartitionFailure): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPE[failure.failureClass],
    message: `${input.pipeline}/${input.partition} failed at ${failure.step} (${failure.failureClass} failure): ${failure.reason}`,
    nonRetryable: true,
    details: [failure],
  });
}

/**
 * A lost worker's step is noticed by its missed heartbeats, so the partition resumes elsewhere within
 * about this long, not after the step's whole start-to-close timeout.
 */
export const STEP_HEARTBEAT_TIMEOUT = '20 seconds';

/** Resolving the run's pipeline reads a definition in memory: a local activity, never retried (a bad name stays bad). */
const resolve = proxyLocalActivities<ConveyorActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });

/** Activity stubs with each step's timeout and retry policy. */
function stepActivities(input: PartitionRunInput, run: ResolvedPartitionRun) {
  const work = proxyActivities<ConveyorActivities>({
    startToCloseTimeout: `${run.steps.timeoutSeconds} seconds`,
    heartbeatTimeout: STEP_HEARTBEAT_TIMEOUT,
    retry: workStepRetryPolicy(run.steps.maxAttempts),
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
  // A notify (data landed) or a force ends that wait at once: the poll is cancelled and checked again.
  const quickReadiness = proxyLocalActivities<ConveyorActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });
  const awaitLanding = async (stepInput: StepInput, wake: ReadinessWake): Promise<ReadinessResult> => {
    const deadline = Date.now() + run.readiness.timeoutSeconds * 1000;
    let checks = 0;
    let notReady = `${input.pipeline}/${input.partition} not ready`;
    for (;;) {
      checks += 1;
      const forced = wake.forced !== undefined;
      try {
        const ready = await quickReadiness.awaitLanding({ ...stepInput, ...(forced ? { force: true } : {}) });
        return { ...ready, attempt: checks };
      } catch (err) {
        // A forced check that fails has nothing left to wait for: its failure is the outcome.
        if (forced || !isRetryableStepFailure(err)) throw err;
        notReady = stepFailureOf(err)?.message ?? notReady;
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) throw readinessDeadlinePassed(input, run, notReady);
      const seen = wake.landed;
      const poll = proxyActivities<ConveyorActivities>({
        startToCloseTimeout: '1 minute',
        scheduleToCloseTimeout: remainingMs,
        retry: readinessRetryPolicy(run.readiness.pollIntervalSeconds),
        summary: `await landing of ${input.pipeline}/${input.partition}`,
      });
      const scope = new CancellationScope();
      const polled = scope.run(() => poll.awaitLanding(stepInput));
      const outcome = await Promise.race([
        polled.then((ready) => ({ ready }), (error: unknown) => ({ error })),
        // Each wake-up costs a few history events: past MAX_WAKEUPS, notifies wait for the next poll.
        condition(() => (wake.landed !== seen && checks <= MAX_WAKEUPS) || wake.forced !== undefined).then(() => 'woken' as const),
      ]);
      if (outcome === 'woken') {
        scope.cancel();
        await polled.catch(() => undefined);
        continue;
      }
      if ('ready' in outcome) return { ...outcome.ready, attempt: checks + outcome.ready.attempt };
      // The deadline ends the polls with a timeout, or with the last "not ready" when no poll fits before it.
      const timedOut = outcome.error instanceof ActivityFailure && outcome.error.cause instanceof TimeoutFailure;
      const stillNotReady = failureClassOfType(stepFailureOf(outcome.error)?.type) === 'dependency';
      if (timedOut || stillNotReady) throw readinessDeadlinePassed(input, run, stepFailureOf(outcome.error)?.message ?? notReady);
      throw outcome.error;
    }
  };
  // Local steps: a lost worker is noticed by the workflow task timeout (10 s); the run then replays on
  // another worker and runs the local steps again from the last one recorded (files named per
  // execution, StepContext.fileTag). Their retries happen on the worker, with the same policy.
  const local = proxyLocalActivities<ConveyorActivities>({
    startToCloseTimeout: `${run.steps.timeoutSeconds} seconds`,
    retry: workStepRetryPolicy(run.steps.maxAttempts),
  });
  return {
    awaitLanding,
    work: { ingest: work.ingest, transform: work.transform, publish: work.publish },
    local: { ingest: local.ingest, transform: local.transform },
    recordRun: localBookkeeping.recordRun,
    python: run.python ? pythonStep(input, run, run.python) : undefined,
  };
}

/**
 * A `python` transform's step: scheduled on the Python worker's task queue (cross-language: Conveyor's
 * Python worker serves `runPythonTransform`), with the work steps' limits and heartbeat.
 */
function pythonStep(input: PartitionRunInput, run: ResolvedPartitionRun, python: PythonStep) {
  const activities = proxyActivities<{ runPythonTransform(request: PythonTransformRequest): Promise<PythonTransformResult> }>({
    taskQueue: python.taskQueue,
    // No Python worker serving the queue: the run fails saying so, instead of waiting for ever.
    scheduleToStartTimeout: `${run.steps.timeoutSeconds} seconds`,
    startToCloseTimeout: `${run.steps.timeoutSeconds} seconds`,
    heartbeatTimeout: STEP_HEARTBEAT_TIMEOUT,
    retry: workStepRetryPolicy(run.steps.maxAttempts),
  });
  const noWorker = (err: unknown) => {
    if (!(err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START')) return err;
    return classifiedFailure('transient', {
      step: 'transform',
      message: `no Python worker took the step within ${run.steps.timeoutSeconds} s: is one serving task queue ${python.taskQueue}? (npx conveyor python-worker)`,
    });
  };
  return (staged: IngestStaged) =>
    activities.runPythonTransform({
      pipeline: input.pipeline,
      partition: input.partition,
      run_id: workflowInfo().runId,
      folder: python.folder,
      function: python.function,
      inputs: inputsByView(python.views, staged.files.map((f) => f.path)),
      input_format: python.inputFormat,
      start: python.window?.start ?? null,
      end: python.window?.end ?? null,
      staging_dir: python.stagingDir,
      spark: python.spark,
    }).catch((err: unknown) => {
      throw noWorker(err);
    });
}

/** Which kind of transform runs, for the Web UI's current details: `sql`, `dbt`, `python on conveyor-python`, ... */
function transformLabel(run: ResolvedPartitionRun): string {
  const declared = run.snapshot.definition.transform as { kind?: string } | undefined;
  const kind = declared?.kind ?? 'sql';
  return run.python ? `${kind} on ${run.python.taskQueue}` : kind;
}

/** What a run's sensor listens for: notifications that data landed, and an operator's force. */
interface ReadinessWake {
  landed: number;
  forced?: OverrideStamp;
  /** True while the run waits for its data (a force is accepted only then). */
  waiting: boolean;
}

/** Notifies that may end a wait early, per run; later ones wait for the next poll (bounded history). */
const MAX_WAKEUPS = 50;

/** The readiness deadline passed: a dependency failure that names what the run waited for. */
function readinessDeadlinePassed(input: PartitionRunInput, run: ResolvedPartitionRun, notReady: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPE.dependency,
    message: `data did not land within the readiness deadline (${run.readiness.timeoutSeconds} s): ${notReady}`,
    nonRetryable: true,
  });
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

/** Ingest's record of each file, with the rows transform found in it (null until transform has counted them). */
function withRowCounts(files: LandedFileRecord[], counts: FileRowCounts[]): RunRecord['files'] {
  return files.map((f) => {
    const found = counts.find((c) => c.name === f.name);
    return { name: f.name, bytes: f.bytes, sha256: f.sha256, rows: found?.rows ?? null, malformed_rows: found?.malformedRows ?? null };
  });
}

/** Runs started without Conveyor's client (e.g. `temporal workflow start`) still become findable. */
function ensureSearchAttributes(input: PartitionRunInput): void {
  const current = workflowInfo().typedSearchAttributes;
  if (current.get(PIPELINE_SA) !== undefined) return;
  upsertSearchAttributes(partitionSearchAttributes(input));
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
      ...(details.checks ? { checks: details.checks } : {}),
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
