/**
 * backfillPipeline: replays a range of partitions of one pipeline with a sliding window of child
 * partition workflows — never more than `concurrency` in flight, a new one started as soon as one
 * finishes. Children use the partition's own workflow ID, so a partition never runs twice at once:
 * if it is already running (say, its daily run), the backfill asks that run to report to it and waits.
 *
 * The run that starts a child learns its outcome from the child's result. Children outlive a
 * continue-as-new (parentClosePolicy ABANDON), but a later run cannot see their results: before
 * continuing as new, a run asks its children still running to report by signal instead.
 * The workflow continues as new every `partitionsPerRun` starts (or when Temporal suggests it),
 * carrying its cursor, counters and failure list, so years of partitions keep each run's history small.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ConveyorActivities } from '../activities';
import { FAILURE_TYPE, workStepRetryPolicy } from '../common/failure-classes';
import { partitionSearchAttributes } from '../common/search-attributes';
import { partitionWorkflowId } from '../common/workflow-ids';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, setConcurrencyUpdate } from './backfill-api';
import {
  backfillInputSchema,
  concurrencySchema,
  type BackfillFailure,
  type BackfillInput,
  type BackfillParams,
  type BackfillProgress,
  type PlannedPartition,
  type WatchedChild,
} from './backfill-input';
import { describeInputError } from './partition-input';
import type { PartitionRunInput } from './partition-input';
import { addCompletionListenerSignal, partitionFinishedSignal, reportedFailureOf, type PartitionFinishedReport } from './partition-signals';
import type { partitionPipeline } from './partition-pipeline';

const PLAN_CHUNK = 500;
const MAX_LISTED_FAILURES = 500;

/** What one run of the backfill knows that is not carried across continue-as-new. */
export interface ThisRun {
  parentId: string;
  /** Partitions whose child this run started: their results reach this run, whatever happens. */
  startedHere: Set<string>;
  /**
   * Partitions whose outcome reaches this run by signal only: children carried from an earlier run
   * and runs this run attached to. The watcher checks these, never a partition whose start is still
   * on its way (it has no run to look at yet, and its result will reach this run).
   */
  watched: Set<string>;
}

/** Everything carried across continue-as-new. */
export interface BackfillState {
  cursor: string | null;
  queue: PlannedPartition[];
  /** partition → run id of the child (empty string when attached to a run we did not start). */
  inFlight: Record<string, string>;
  concurrency: number;
  paused: boolean;
  cancelRequested: boolean;
  cancelRunning: boolean;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
  failures: BackfillFailure[];
  failuresNotListed: number;
  startedAt: string;
  runNumber: number;
  /** Partitions in the range (the planner counts them in the pipeline's scheme); 0 until the first chunk. */
  total: number;
}

const { planBackfillChunk, findClosedRuns } = proxyActivities<ConveyorActivities>({
  startToCloseTimeout: '2 minutes',
  retry: workStepRetryPolicy(10),
});

export async function backfillPipeline(rawInput: BackfillInput, carried?: BackfillState): Promise<BackfillProgress> {
  const parsed = backfillInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.code, message: describeInputError(parsed.error, rawInput), nonRetryable: true });
  }
  const input = parsed.data;
  const info = workflowInfo();
  const state: BackfillState = carried
    ? { ...carried, runNumber: carried.runNumber + 1 }
    : {
        cursor: input.order === 'oldest-first' ? input.from : input.to,
        queue: [],
        inFlight: {},
        concurrency: input.maxConcurrency,
        paused: false,
        cancelRequested: false,
        cancelRunning: false,
        succeeded: 0,
        failed: 0,
        skipped: 0,
        cancelled: 0,
        failures: [],
        failuresNotListed: 0,
        startedAt: info.startTime.toISOString(),
        runNumber: 1,
        total: 0,
      };
  const thisRun: ThisRun = { parentId: info.workflowId, startedHere: new Set(), watched: new Set(Object.keys(state.inFlight)) };
  const stopAfterFailuresReached = () => input.stopAfterFailures !== undefined && state.failed >= input.stopAfterFailures;
  const stopping = () => state.cancelRequested || stopAfterFailuresReached();
  const progress = (phase?: BackfillProgress['state']): BackfillProgress => progressOf(input, state, state.total, phase ?? livePhase(state, stopAfterFailuresReached()));

  setHandler(progressQuery, () => progress());
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(cancelSignal, ({ cancelRunning }) => {
    state.cancelRequested = true;
    state.cancelRunning ||= cancelRunning;
  });
  setHandler(
    setConcurrencyUpdate,
    (n) => {
      state.concurrency = n;
      return n;
    },
    { validator: (n) => void concurrencySchema.parse(n) },
  );
  setHandler(partitionFinishedSignal, (report) => finish(state, report));
  void watchForClosedChildren(input, state, thisRun);

  let startedThisRun = 0;
  let pendingStarts = 0;
  let startError: unknown;
  const startsSettled = () => pendingStarts === 0 && allHandlersFinished();
  for (;;) {
    if (startError !== undefined) throw startError;
    if (state.queue.length === 0 && state.cursor !== null && !stopping()) {
      const chunk = await planBackfillChunk({
        pipeline: input.pipeline, from: input.from, to: input.to, ...(input.keys ? { keys: input.keys } : {}), reprocess: input.reprocess,
        order: input.order, cursor: state.cursor, limit: PLAN_CHUNK,
      });
      state.total = chunk.total;
      state.queue = chunk.partitions;
      state.skipped += chunk.skipped;
      state.cursor = chunk.nextCursor;
      continue;
    }
    const exhausted = () => state.queue.length === 0 && state.cursor === null;
    const canStart = () =>
      !stopping() && !state.paused && Object.keys(state.inFlight).length < state.concurrency && state.queue.length > 0;
    const needsPlanning = () => state.queue.length === 0 && state.cursor !== null && !stopping();
    const idle = () => Object.keys(state.inFlight).length === 0;
    const runIsFull = () => startedThisRun >= input.partitionsPerRun || workflowInfo().continueAsNewSuggested;

    if (runIsFull()) {
      // Wait until every start of this run is settled, then hand the state to a fresh run.
      await condition(startsSettled);
      await askRunningChildrenToSignal(input, state, thisRun);
      log.info('continuing as new', { backfillId: input.backfillId, runNumber: state.runNumber, startedThisRun });
      await continueAsNew<typeof backfillPipeline>(rawInput, state);
    }
    setCurrentDetails(describeProgress(progress()));
    await condition(
      () => startError !== undefined || canStart() || stopping() || needsPlanning() || (exhausted() && idle()),
    );
    if (startError !== undefined) continue;

    if (stopping()) {
      await condition(() => pendingStarts === 0);
      if (state.cancelRunning) await cancelRunningChildren(input, state);
      await condition(idle);
      break;
    }
    if (exhausted() && idle()) break;

    // Fill every free slot in this one workflow task: awaiting each start in turn would cost a
    // workflow-task round trip per child and cap throughput whatever the concurrency.
    while (canStart() && !runIsFull()) {
      const next = state.queue.shift()!;
      startedThisRun += 1;
      pendingStarts += 1;
      startPartition(input, state, next, thisRun).then(
        () => void (pendingStarts -= 1),
        (err: unknown) => {
          pendingStarts -= 1;
          startError ??= err;
        },
      );
    }
  }

  await condition(startsSettled);
  const phase = state.cancelRequested ? 'cancelled' : stopAfterFailuresReached() ? 'stopped-after-failures' : 'completed';
  const summary = progress(phase);
  setCurrentDetails(describeProgress(summary));
  return summary;
}

async function startPartition(input: BackfillParams, state: BackfillState, planned: PlannedPartition, thisRun: ThisRun): Promise<void> {
  const { partition } = planned;
  const { parentId } = thisRun;
  const workflowId = partitionWorkflowId(input.pipeline, partition);
  const childInput: PartitionRunInput = {
    pipeline: input.pipeline,
    partition,
    runKind: 'backfill',
    backfillId: input.backfillId,
  };
  state.inFlight[partition] = '';
  try {
    const child = await startChild<typeof partitionPipeline>('partitionPipeline', {
      workflowId,
      taskQueue: input.childTaskQueue,
      args: [childInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: partitionSearchAttributes(childInput),
      staticSummary: `${input.pipeline} ${partition} (backfill run)`,
      staticDetails: `Backfill \`${input.backfillId}\`: ${planned.reason}.`,
    });
    const runId = child.firstExecutionRunId;
    if (partition in state.inFlight) state.inFlight[partition] = runId;
    thisRun.startedHere.add(partition);
    // Within this run the child's result tells its outcome (a signal per partition would cost the
    // child a workflow task and both workflows two more history events).
    child.result().then(
      (result) => finish(state, { partition, workflowId, runId, status: 'succeeded', rowsPublished: result.rows.published }),
      (err: unknown) => finish(state, reportOfFailedChild(partition, workflowId, runId, err)),
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Running elsewhere (e.g. its daily run): ask that run to report to us, and wait for it.
    try {
      await getExternalWorkflowHandle(workflowId).signal(addCompletionListenerSignal, parentId);
      thisRun.watched.add(partition);
      log.info('partition already running; waiting for that run', { partition });
    } catch {
      // It finished in between: plan it again, at the front.
      delete state.inFlight[partition];
      state.queue.unshift(planned);
    }
  }
}

/**
 * Before continuing as new: children this run started that are still running (they report by their
 * result, which only this run can see) are asked to signal their outcome to the backfill, which the
 * next run receives. A child that cannot take the signal has just finished,
 * and its result is on its way to this run: wait for it, so no outcome falls between the runs.
 */
async function askRunningChildrenToSignal(input: BackfillParams, state: BackfillState, thisRun: ThisRun): Promise<void> {
  const finishedMeanwhile: string[] = [];
  await Promise.all(
    [...thisRun.startedHere]
      .filter((partition) => partition in state.inFlight)
      .map(async (partition) => {
        try {
          const child = getExternalWorkflowHandle(partitionWorkflowId(input.pipeline, partition), state.inFlight[partition]);
          await child.signal(addCompletionListenerSignal, thisRun.parentId);
        } catch {
          finishedMeanwhile.push(partition);
        }
      }),
  );
  await condition(() => finishedMeanwhile.every((partition) => !(partition in state.inFlight)));
}

/**
 * Children inherited from earlier runs, and runs this one attached to, report only by signal, which a
 * terminated or timed-out run never sends, and which a run that was already finishing when asked has
 * sent elsewhere. Now and then, ask for the outcome of those that closed, and count it (once: a report
 * that arrives too carries the same outcome, and `finish` takes the first). Runs for the life of this
 * run; continue-as-new or the end simply drops it.
 */
async function watchForClosedChildren(input: BackfillParams, state: BackfillState, thisRun: ThisRun): Promise<void> {
  for (;;) {
    await sleep(input.silentChildCheckSeconds * 1000);
    const watched = watchedChildren(input.pipeline, state, thisRun);
    if (watched.length === 0) continue;
    try {
      for (const report of await findClosedRuns(watched)) finish(state, report);
    } catch (err) {
      log.warn('could not check on running partitions; trying again later', { error: String(err) });
    }
  }
}

/** Which running partitions the watcher asks about: the watched ones still in flight. */
export function watchedChildren(pipeline: string, state: Pick<BackfillState, 'inFlight'>, thisRun: Pick<ThisRun, 'watched'>): WatchedChild[] {
  return [...thisRun.watched]
    .filter((partition) => partition in state.inFlight)
    .map((partition) => ({ partition, workflowId: partitionWorkflowId(pipeline, partition), runId: state.inFlight[partition]! }));
}

/** The outcome of a child from the failure its result raised: cancelled, or failed with its class, step and reason. */
function reportOfFailedChild(partition: string, workflowId: string, runId: string, err: unknown): PartitionFinishedReport {
  if (isCancellation(err)) return { partition, workflowId, runId, status: 'cancelled' };
  const failure = reportedFailureOf((err as { cause?: unknown }).cause) ?? { failureClass: 'code', step: 'workflow', reason: terminalReason(err) };
  return { partition, workflowId, runId, status: 'failed', failure };
}

function finish(state: BackfillState, report: PartitionFinishedReport): void {
  const expectedRunId = state.inFlight[report.partition];
  if (expectedRunId === undefined) return; // not ours, or already counted
  if (expectedRunId !== '' && report.runId !== expectedRunId) return; // a stale report from an older run
  delete state.inFlight[report.partition];
  if (report.status === 'succeeded') {
    state.succeeded += 1;
    return;
  }
  if (report.status === 'cancelled') state.cancelled += 1;
  else state.failed += 1;
  const failure: BackfillFailure = {
    partition: report.partition,
    failureClass: report.status === 'cancelled' ? 'cancelled' : (report.failure?.failureClass ?? 'code'),
    step: report.failure?.step ?? 'workflow',
    reason: report.failure?.reason ?? report.status,
    runId: report.runId,
  };
  if (state.failures.length < MAX_LISTED_FAILURES) state.failures.push(failure);
  else state.failuresNotListed += 1;
}

async function cancelRunningChildren(input: BackfillParams, state: BackfillState): Promise<void> {
  for (const partition of Object.keys(state.inFlight)) {
    try {
      await getExternalWorkflowHandle(partitionWorkflowId(input.pipeline, partition)).cancel();
    } catch {
      // Already finished: its report settles it.
    }
  }
}

function terminalReason(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function livePhase(state: BackfillState, stopAfterFailuresReached: boolean): BackfillProgress['state'] {
  if (state.cancelRequested) return 'cancelling';
  if (stopAfterFailuresReached) return 'stopping';
  return state.paused ? 'paused' : 'running';
}

function progressOf(input: BackfillParams, state: BackfillState, total: number, phase: BackfillProgress['state']): BackfillProgress {
  const running = Object.keys(state.inFlight).length;
  const finished = state.succeeded + state.failed + state.cancelled;
  return {
    backfillId: input.backfillId,
    pipeline: input.pipeline,
    from: input.from,
    to: input.to,
    reprocess: input.reprocess,
    state: phase,
    concurrency: state.concurrency,
    total,
    succeeded: state.succeeded,
    failed: state.failed,
    skipped: state.skipped,
    cancelled: state.cancelled,
    running,
    pending: Math.max(0, total - finished - state.skipped - running),
    startedAt: state.startedAt,
    finished,
    runNumber: state.runNumber,
    runningPartitions: Object.keys(state.inFlight).sort(),
    failures: state.failures,
    failuresNotListed: state.failuresNotListed,
  };
}

function describeProgress(p: BackfillProgress): string {
  return `${p.state}: ${p.succeeded + p.failed + p.skipped}/${p.total} done (${p.succeeded} ok, ${p.failed} failed, ${p.skipped} skipped), ${p.running} running, concurrency ${p.concurrency}`;
}

