/**
 * scheduledPartition: what a pipeline's Temporal Schedule starts each day. It works out the partition
 * its **scheduled** time implies (not the wall clock, so runs made up after an outage process the
 * days that were missed) and runs that partition's own workflow, `<pipeline>/<partition>`: it starts
 * it, or, when the partition is already running (a backfill, a manual run), attaches to that run and
 * waits for its outcome. Either way the partition runs once, and this run ends as the partition did.
 *
 * Workflow ID: `<pipeline>/scheduled-<scheduled time>` (the Schedule appends the timestamp).
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
import { partitionAvailableAt } from '../common/partition-key';
import { PARTITION_SA, partitionSearchAttributes, SCHEDULED_START_TIME_SA } from '../common/search-attributes';
import { partitionWorkflowId } from '../common/workflow-ids';
import type { partitionPipeline } from './partition-pipeline';
import { describeInputError, type PartitionRunInput } from './partition-input';
import { scheduledPartitionInputSchema, type ScheduledPartitionInput } from './scheduled-input';
import { addCompletionListenerSignal, partitionFinishedSignal, reportedFailureOf, type PartitionFinishedReport } from './partition-signals';

/** How often a scheduled run that attached to a partition's run checks that run's status itself. */
const ATTACHED_STATUS_CHECK = '5 minutes';

const { latestRunStatus } = proxyActivities<ConveyorActivities>({ startToCloseTimeout: '1 minute', retry: workStepRetryPolicy(10) });

export async function scheduledPartition(rawInput: ScheduledPartitionInput): Promise<PartitionFinishedReport> {
  const parsed = scheduledPartitionInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.code, message: describeInputError(parsed.error, rawInput), nonRetryable: true });
  }
  const input = parsed.data;
  const info = workflowInfo();
  // Set by the Schedule on every run it starts, including those it makes up (catch-up, backfill).
  const scheduledAt = info.typedSearchAttributes.get(SCHEDULED_START_TIME_SA) ?? info.startTime;
  const partition = partitionAvailableAt(scheduledAt.getTime(), input.availabilityLagDays);
  upsertSearchAttributes([{ key: PARTITION_SA, value: partition }]);
  log.info('scheduled run', { pipeline: input.pipeline, partition, scheduledAt: scheduledAt.toISOString() });

  const childInput: PartitionRunInput = { pipeline: input.pipeline, partition, runKind: 'scheduled', readiness: input.readiness, steps: input.steps };
  const workflowId = partitionWorkflowId(input.pipeline, partition);
  let report: PartitionFinishedReport | undefined;
  setHandler(partitionFinishedSignal, (r) => void (report = r));
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
      report = { partition, workflowId, runId: child.firstExecutionRunId, status: 'failed', failure: reportedFailureOf(cause) };
    }
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
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
    while (!(await condition(() => report !== undefined, ATTACHED_STATUS_CHECK))) {
      const latest = await latestRunStatus(workflowId);
      attachedRunId ??= latest.runId;
      if (latest.status === 'running' && latest.runId === attachedRunId) continue;
      report = {
        partition,
        workflowId,
        runId: attachedRunId ?? '',
        status: latest.status === 'completed' ? 'succeeded' : latest.status === 'cancelled' ? 'cancelled' : 'failed',
        ...(latest.status === 'completed' || latest.status === 'cancelled'
          ? {}
          : { failure: { failureClass: 'transient' as const, step: 'workflow', reason: `the partition run ended ${latest.status}; see ${workflowId}` } }),
      };
    }
  }
  if (report!.status === 'succeeded') return report!;
  throw ApplicationFailure.create({
    type: report!.failure ? FAILURE_TYPE[report!.failure.failureClass] : FAILURE_TYPE.code,
    message: `${workflowId} ${report!.status}${report!.failure ? ` at ${report!.failure.step} (${report!.failure.failureClass}): ${report!.failure.reason}` : ''}`,
    nonRetryable: true,
    details: [report],
  });
}
