/**
 * scheduledPartition: what a pipeline's Temporal Schedule starts at each tick. It works out the
 * partition its **scheduled** time implies in the pipeline's scheme (not the wall clock, so runs made
 * up after an outage process the hours, days or months that were missed; a static key set: every key) and runs that partition's own workflow, `<pipeline>.<partition>`: it starts
 * it, or, when the partition is already running (a backfill, a manual run), attaches to that run and
 * waits for its outcome. Either way the partition runs once, and this run ends as the partition did.
 *
 * Workflow ID: `<pipeline>.scheduled-<scheduled time>` (the Schedule appends the timestamp).
 */
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  isCancellation,
  proxyActivities,
  condition,
  getExternalWorkflowHandle,
  log,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ConveyorActivities } from '../activities';
import { FAILURE_TYPE, workStepRetryPolicy } from '../common/failure-classes';
import { PartitionScheme } from '../common/partitions';
import { PARTITION_SA, partitionSearchAttributes, SCHEDULED_START_TIME_SA } from '../common/search-attributes';
import { partitionWorkflowId } from '../common/workflow-ids';
import type { partitionPipeline } from './partition-pipeline';
import { describeInputError, type PartitionRunInput } from './partition-input';
import { scheduledPartitionInputSchema, type ScheduledPartitionInput, type ScheduledPartitionParams } from './scheduled-input';
import { addCompletionListenerSignal, partitionFinishedSignal, reportedFailureOf, type PartitionFinishedReport } from './partition-signals';

/** How often a scheduled run that attached to a partition's run checks that run's status itself. */
const ATTACHED_STATUS_CHECK = '5 minutes';

const { latestRunStatus } = proxyActivities<ConveyorActivities>({ startToCloseTimeout: '1 minute', retry: workStepRetryPolicy(10) });

export async function scheduledPartition(rawInput: ScheduledPartitionInput): Promise<PartitionFinishedReport[]> {
  const parsed = scheduledPartitionInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.code, message: describeInputError(parsed.error, rawInput), nonRetryable: true });
  }
  const input = parsed.data;
  const info = workflowInfo();
  // Set by the Schedule on every run it starts, including those it makes up (catch-up, backfill).
  const scheduledAt = info.typedSearchAttributes.get(SCHEDULED_START_TIME_SA) ?? info.startTime;
  const reports = new Map<string, PartitionFinishedReport>();
  setHandler(partitionFinishedSignal, (r) => void reports.set(r.partition, r));

  // A time scheme: the newest partition available at the scheduled time. A static set: every key.
  const spec = input.partitions;
  const partitions = spec.kind === 'static' ? spec.keys : [new PartitionScheme(spec).latestAt(scheduledAt.getTime())];
  if (partitions.length === 1) upsertSearchAttributes([{ key: PARTITION_SA, value: partitions[0]! }]);
  log.info('scheduled run', { pipeline: input.pipeline, partitions, scheduledAt: scheduledAt.toISOString() });

  const outcomes = await Promise.all(partitions.map((partition) => runOnce(input, partition, scheduledAt, reports)));
  const failed = outcomes.filter((r) => r.status !== 'succeeded');
  if (failed.length === 0) return outcomes;
  const first = failed[0]!;
  throw ApplicationFailure.create({
    type: first.failure ? FAILURE_TYPE[first.failure.failureClass] : FAILURE_TYPE.code,
    message: failed
      .map((r) => `${r.workflowId} ${r.status}${r.failure ? ` at ${r.failure.step} (${r.failure.failureClass}): ${r.failure.reason}` : ''}`)
      .join('; '),
    nonRetryable: true,
    details: failed,
  });
}

/** Run one partition's own workflow (or attach to the run going), and say how it ended. */
async function runOnce(
  input: ScheduledPartitionParams,
  partition: string,
  scheduledAt: Date,
  reports: Map<string, PartitionFinishedReport>,
): Promise<PartitionFinishedReport> {
  const info = workflowInfo();
  const childInput: PartitionRunInput = { pipeline: input.pipeline, partition, runKind: 'scheduled' };
  const workflowId = partitionWorkflowId(input.pipeline, partition);
  try {
    const child = await startChild<typeof partitionPipeline>('partitionPipeline', {
      workflowId,
      args: [childInput],
      // The partition's run is its own: it outlives this one if this one is terminated.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: partitionSearchAttributes(childInput),
      staticSummary: `${input.pipeline} ${partition} (scheduled run)`,
      staticDetails: `Started by the schedule's run \`${info.workflowId}\`, scheduled for ${scheduledAt.toISOString()}.`,
    });
    try {
      const result = await child.result();
      return { partition, workflowId, runId: child.firstExecutionRunId, status: 'succeeded', rowsPublished: result.rows.published };
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The child's own failure (class, step, reason) is the cause of the ChildWorkflowFailure.
      const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
      return { partition, workflowId, runId: child.firstExecutionRunId, status: 'failed', failure: reportedFailureOf(cause) };
    }
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // Already running (a backfill, a manual run): ask that run to tell us how it ends, and wait. A run
  // that is terminated, or that ends before our request reaches it, never tells: check its status
  // now and then, and take that.
  log.info('partition already running; attaching to that run', { partition });
  try {
    await getExternalWorkflowHandle(workflowId).signal(addCompletionListenerSignal, info.workflowId);
  } catch (signalError) {
    if (isCancellation(signalError)) throw signalError;
  }
  let attachedRunId: string | null | undefined;
  while (!(await condition(() => reports.has(partition), ATTACHED_STATUS_CHECK))) {
    const latest = await latestRunStatus(workflowId);
    attachedRunId ??= latest.runId;
    if (latest.status === 'running' && latest.runId === attachedRunId) continue;
    reports.set(partition, {
      partition,
      workflowId,
      runId: attachedRunId ?? '',
      status: latest.status === 'completed' ? 'succeeded' : latest.status === 'cancelled' ? 'cancelled' : 'failed',
      ...(latest.status === 'completed' || latest.status === 'cancelled'
        ? {}
        : { failure: { failureClass: 'transient' as const, step: 'workflow', reason: `the partition run ended ${latest.status}; see ${workflowId}` } }),
    });
  }
  return reports.get(partition)!;
}
