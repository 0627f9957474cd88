/**
 * The client a service needs, and nothing more: start a partition with its pipeline and key, wait for
 * its outcome, name its workflow ID. No pipeline definitions, no lake: the run resolves its settings
 * itself. Published as a package of its own (packages/client: `npm pack` there), and used by the
 * CLIs' client (client/partition-runs.ts) for the same steps. docs/services.md is the contract.
 */
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE } from '../common/task-queues';
import { failureClassOfType } from '../common/failure-classes';
import { partitionFailureSchema, partitionRunResultSchema } from '../common/run-contract';
import type { PartitionFailure, PartitionRunResult } from '../common/run-types';
import { partitionSearchAttributes } from '../common/search-attributes';
import { parsePartitionWorkflowId, partitionWorkflowId } from '../common/workflow-ids';
import { describeInputError, PARTITION_RUN_INPUT_FIELDS, partitionRunInputSchema, type PartitionRunInput, type PartitionRunRequestInput } from '../workflows/partition-input';
import { InputError } from '../common/errors';

export { parsePartitionWorkflowId, partitionFailureSchema, partitionRunInputSchema, partitionRunResultSchema, partitionWorkflowId };
export type { PartitionFailure, PartitionRunInput, PartitionRunRequestInput, PartitionRunResult };

export { DEFAULT_TASK_QUEUE };

/** A request that is not a valid partition run input: one line naming the field and what is allowed. */
export class PartitionRequestError extends InputError {
  override name = 'PartitionRequestError';
}

export interface StartedPartition {
  workflowId: string;
  runId: string;
  /** True when the partition was already running: this is that run. */
  attached: boolean;
  handle: WorkflowHandle;
}

export type PartitionOutcome =
  | { status: 'succeeded'; result: PartitionRunResult }
  | { status: 'failed'; workflowId: string; runId: string; message: string; failure: PartitionFailure };

/** The workflow's description, or undefined when no workflow has that ID. */
export async function describeWorkflow(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The options of a partition run's start, whoever starts it: its ID, input, task queue and search attributes. */
export function partitionStart(request: PartitionRunRequestInput, taskQueue: string = DEFAULT_TASK_QUEUE) {
  const parsed = partitionRunInputSchema.safeParse(request);
  if (!parsed.success) throw new PartitionRequestError(describeInputError(parsed.error, request, PARTITION_RUN_INPUT_FIELDS));
  const input = parsed.data;
  return {
    workflowId: partitionWorkflowId(input.pipeline, input.partition),
    taskQueue,
    args: [input] as [PartitionRunInput],
    typedSearchAttributes: partitionSearchAttributes(input),
  };
}

/**
 * Start the partition's run, or attach to it when it is running (one run per partition). The run
 * checks the pipeline and the key against the deployed definition and fails as a `CodeFailure` when
 * they do not fit. Extra start options (a summary for the Web UI) pass through.
 */
export async function startPartition(
  client: Client,
  request: PartitionRunRequestInput,
  options: { taskQueue?: string; staticSummary?: string; staticDetails?: string } = {},
): Promise<StartedPartition> {
  const { taskQueue, ...texts } = options;
  const start = partitionStart(request, taskQueue);
  const alreadyRunning = (await describeWorkflow(client, start.workflowId))?.status.name === 'RUNNING';
  const handle = await client.workflow.start<(input: PartitionRunRequestInput) => Promise<PartitionRunResult>>('partitionPipeline', {
    ...start,
    ...texts,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  return { workflowId: start.workflowId, runId: handle.firstExecutionRunId, attached: alreadyRunning, handle };
}

/** Wait for a run to finish; a failed partition is an outcome (its class, step and reason), not an exception. */
export async function waitForPartition(run: { handle: WorkflowHandle; workflowId: string; runId: string }): Promise<PartitionOutcome> {
  try {
    return { status: 'succeeded', result: (await run.handle.result()) as PartitionRunResult };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { status: 'failed', workflowId: run.workflowId, runId: run.runId, ...failureOf(err) };
    throw err;
  }
}

function failureOf(err: WorkflowFailedError): { failure: PartitionFailure; message: string } {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const details = partitionFailureSchema.safeParse(cause.details?.[0]);
    return {
      message: cause.message,
      failure: details.success ? details.data : { failureClass: failureClassOfType(cause.type) ?? 'code', step: 'workflow', reason: cause.message },
    };
  }
  const reason = cause?.message ?? err.message;
  return { message: reason, failure: { failureClass: 'code', step: 'workflow', reason } };
}
