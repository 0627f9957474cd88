/**
 * Event-driven readiness and operators' overrides, for services and the CLIs:
 * - `notifyLanded`: a partition's data has landed. Signal-with-start: a waiting run goes on at once
 *   (no waiting for its next poll); with no run going, one starts (RunKind `event`).
 * - `forcePartition`: push a waiting run past its readiness wait (data files still required).
 * - `skipPartition`: waive a partition with no data: backfills stop planning it (and monitors, later,
 *   stop counting it missing) until a rerun or anything else publishes it.
 * - `rerunPartition`: run it again now.
 * Every override takes a reason and records who, when and why in the lake (`meta.overrides`, and
 * the manifest of the run it shaped); `who` is `by`, else CONVEYOR_OPERATOR, else the OS user.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { ConveyorConfig } from '../platform/config';
import type { OverrideRecord } from '../common/run-types';
import { partitionWorkflowId } from '../common/workflow-ids';
import { lakeOf } from '../lake/layout';
import { recordOverride } from '../lake/overrides';
import { InputError } from '../common/errors';
import { dataLandedSignal, forceReadinessUpdate } from '../workflows/partition-signals';
import type { partitionPipeline } from '../workflows/partition-pipeline';
import { partitionStartOptions, preflightPartitionRun, type PartitionRun, type PartitionRunClientOptions } from './partition-runs';
import { webUiWorkflowUrl } from '../common/web-ui';
import { describeWorkflow } from './service';

export interface OverrideOptions extends PartitionRunClientOptions {
  config: PartitionRunClientOptions['config'] & Pick<ConveyorConfig, 'lakeDir' | 'lakeUrl' | 'lakeUrl'>;
}

export interface OverrideRequest {
  pipeline: string;
  partition: string;
  /** Why: required, recorded with the override. */
  reason: string;
  /** Who: default CONVEYOR_OPERATOR, else the OS user. */
  by?: string;
}

/** Who is acting: `by`, else CONVEYOR_OPERATOR, else the OS user. */
export function operatorName(by?: string): string {
  const named = [by, process.env.CONVEYOR_OPERATOR].find((name) => name !== undefined && name.trim() !== '');
  if (named) return named.trim();
  if (by !== undefined) throw new InputError('--by is blank: name who is acting');
  try {
    return os.userInfo().username;
  } catch {
    throw new InputError('cannot tell who is acting: pass --by <name> or set CONVEYOR_OPERATOR');
  }
}

/**
 * Validate an override without touching the server (pipeline, partition, a reason); returns its
 * stamp (kind, reason, who, when). Bad input is a one-line {@link InputError}.
 */
export function checkOverride(kind: OverrideRecord['kind'], request: OverrideRequest, options: PartitionRunClientOptions): OverrideRecord {
  preflightPartitionRun({ pipeline: request.pipeline, partition: request.partition }, options);
  if (!request.reason?.trim()) throw new InputError(`--reason is required: say why you ${kind} ${request.pipeline}/${request.partition}`);
  operatorName(request.by); // a blank --by is refused here, before anything is recorded
  return { kind, reason: request.reason.trim(), by: operatorName(request.by), at: new Date((options.now ?? Date.now)()).toISOString() };
}

async function audit(options: OverrideOptions, request: OverrideRequest, stamp: OverrideRecord, runId: string | null): Promise<void> {
  await recordOverride(lakeOf(options.config), {
    pipeline: request.pipeline,
    partition_key: request.partition,
    kind: stamp.kind,
    reason: stamp.reason,
    requested_by: stamp.by,
    requested_at: stamp.at,
    run_id: runId,
  });
}

/** The partition's data has landed: wake its waiting run, or start one (signal-with-start). */
export async function notifyLanded(
  client: Client,
  request: { pipeline: string; partition: string; by?: string },
  options: PartitionRunClientOptions,
): Promise<{ workflowId: string; runId: string; started: boolean; webUiUrl: string }> {
  const start = partitionStartOptions({ pipeline: request.pipeline, partition: request.partition, runKind: 'event' }, options);
  const before = await describeWorkflow(client, start.workflowId);
  const handle = await client.workflow.signalWithStart<typeof partitionPipeline, [{ by: string; at: string }]>('partitionPipeline', {
    ...start,
    signal: dataLandedSignal,
    signalArgs: [{ by: operatorName(request.by), at: new Date((options.now ?? Date.now)()).toISOString() }],
  });
  const runId = handle.signaledRunId;
  return { workflowId: start.workflowId, runId, started: before?.status.name !== 'RUNNING', webUiUrl: webUiWorkflowUrl(options.config, start.workflowId, runId) };
}

/** Push the partition's running run past its readiness wait. */
export async function forcePartition(client: Client, request: OverrideRequest, options: OverrideOptions): Promise<{ runId: string }> {
  const stamp = checkOverride('force', request, options);
  const workflowId = partitionWorkflowId(request.pipeline, request.partition);
  const running = await describeWorkflow(client, workflowId);
  if (running?.status.name !== 'RUNNING') {
    throw new InputError(`${workflowId} is not running, so there is no wait to force: start it (npx conveyor partition) or rerun it`);
  }
  const accepted = await client.workflow.getHandle(workflowId, running.runId).executeUpdate(forceReadinessUpdate, { args: [{ reason: stamp.reason, by: stamp.by, at: stamp.at }] });
  if (!accepted) throw new InputError(`${workflowId} is past its readiness wait (or forced already): nothing to force; rerun it instead`);
  await audit(options, request, stamp, running.runId);
  return { runId: running.runId };
}

/** Waive the partition: backfills stop planning it while it is unpublished (a rerun lifts the skip). */
export async function skipPartition(client: Client, request: OverrideRequest, options: OverrideOptions): Promise<void> {
  const stamp = checkOverride('skip', request, options);
  const workflowId = partitionWorkflowId(request.pipeline, request.partition);
  if ((await describeWorkflow(client, workflowId))?.status.name === 'RUNNING') {
    throw new InputError(`${workflowId} is running: let it finish or cancel it before skipping the partition`);
  }
  await audit(options, request, stamp, null);
}

/** Run the partition again now, with the reason recorded in its manifest; clears a skip. */
export async function rerunPartition(client: Client, request: OverrideRequest, options: OverrideOptions): Promise<PartitionRun> {
  const stamp = checkOverride('rerun', request, options);
  const workflowId = partitionWorkflowId(request.pipeline, request.partition);
  if ((await describeWorkflow(client, workflowId))?.status.name === 'RUNNING') {
    throw new InputError(`${workflowId} is running already: wait for it (npx conveyor partition attaches) or cancel it first`);
  }
  const start = partitionStartOptions({ pipeline: request.pipeline, partition: request.partition, runKind: 'manual' }, options, stamp);
  const handle = await client.workflow.start<typeof partitionPipeline>('partitionPipeline', { ...start, workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
  await audit(options, request, stamp, handle.firstExecutionRunId);
  return { workflowId, runId: handle.firstExecutionRunId, attached: false, webUiUrl: webUiWorkflowUrl(options.config, workflowId, handle.firstExecutionRunId), handle };
}

