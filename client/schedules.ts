/**
 * Two Temporal Schedules per pipeline, made from its definition: its daily runs (`conveyor-<pipeline>`)
 * and its monitor (`conveyor-<pipeline>-monitor`, every `monitors.everyMinutes`); the daily one from `schedule`
 * (time of day, catch-up window, overlap policy). `applySchedules` makes the server's schedules match the registry:
 * creates the missing, updates the changed (a fingerprint of the definition's part is kept in the
 * action's memo), deletes those of pipelines that no longer exist, and leaves the rest untouched, so
 * applying twice changes nothing. A paused schedule stays paused through an update.
 */
import { createHash } from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { ConveyorConfig } from '../platform/config';
import { PIPELINE_SA, RUN_KIND_SA } from '../common/search-attributes';
import { MONITOR_SCHEDULE_SUFFIX, monitorScheduleIdOf, monitorWorkflowIdOf, partitionWorkflowId, SCHEDULE_ID_PREFIX, scheduledWorkflowIdOf, scheduleIdOf } from '../common/workflow-ids';
import type { PipelineMonitorInput } from '../workflows/pipeline-monitor';
import { monitorWindowOf, partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import { calendarOf, describeScheduleAt } from '../common/schedule-at';
import { type PipelineRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import type { ScheduledPartitionInput } from '../workflows/scheduled-input';
import { operatorName } from './overrides';

const OVERLAP: Record<PipelineDefinition['schedule']['overlap'], ScheduleOverlapPolicy> = {
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  skip: ScheduleOverlapPolicy.SKIP,
};
const FINGERPRINT_MEMO = 'conveyorScheduleFingerprint';

export interface ScheduleClientOptions {
  config: Pick<ConveyorConfig, 'taskQueue'>;
  /** The deployment's pipelines (deploymentRegistry(), or a registry of your own). */
  registry: PipelineRegistry;
}

/** What the Web UI's Schedules page says the schedule does. */
export function scheduleNote(pipeline: PipelineDefinition): string {
  const { at, catchupWindowDays, overlap } = pipeline.schedule;
  const p = pipeline.partitions;
  const scheme = partitionSchemeOf(pipeline);
  const what =
    p.kind === 'static'
      ? `each run processes every key (${p.keys.join(', ')})`
      : `each run processes the partition its scheduled time implies (the scheduled ${scheme.unit}${p.lag ? ` minus ${p.lag}` : ''})`;
  return (
    `Runs ${pipeline.name} ${describeScheduleAt(p.kind, at)}: ${what} as ${partitionWorkflowId(pipeline.name, '<partition>')}, attaching to that partition's run if one is going. ` +
    `Catch-up ${catchupWindowDays} day(s), overlap ${overlap}. Owner ${pipeline.owner}. Managed by \`npx conveyor schedules apply\`.`
  );
}

/** The schedule a pipeline's definition asks for, and a fingerprint of it. */
export function desiredSchedule(pipeline: PipelineDefinition, options: Pick<ScheduleClientOptions, 'config'>): { options: ScheduleOptions; fingerprint: string } {
  const { kind } = pipeline.partitions;
  const input: ScheduledPartitionInput = {
    pipeline: pipeline.name,
    partitions: pipeline.partitions,
  };
  const shape = {
    spec: { calendars: [{ ...calendarOf(kind, pipeline.schedule.at), comment: describeScheduleAt(kind, pipeline.schedule.at) }] },
    policies: { catchupWindowMs: pipeline.schedule.catchupWindowDays * 86_400_000, overlap: OVERLAP[pipeline.schedule.overlap] },
    action: { taskQueue: options.config.taskQueue, input, note: scheduleNote(pipeline) },
  };
  const options_: ScheduleOptions = {
    scheduleId: scheduleIdOf(pipeline.name),
    spec: shape.spec,
    policies: { catchupWindow: shape.policies.catchupWindowMs, overlap: shape.policies.overlap, pauseOnFailure: false },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledPartition',
      workflowId: scheduledWorkflowIdOf(pipeline.name),
      taskQueue: options.config.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: PIPELINE_SA, value: pipeline.name },
        { key: RUN_KIND_SA, value: 'scheduled' },
      ],
      staticSummary: `${pipeline.name}: scheduled run`,
    },
    state: { note: shape.action.note },
  };
  return withFingerprint(options_);
}

/** What the monitor Schedule's note says. */
export function monitorScheduleNote(pipeline: PipelineDefinition): string {
  return (
    `Checks ${pipeline.name} every ${pipeline.monitors.everyMinutes} min: freshness (objective ${pipeline.freshnessObjectiveHours} h), failed and missing partitions, ` +
    `row counts and rejects over the newest ${monitorWindowOf(pipeline)} partitions; alerts go to ${pipeline.owner}. Managed by \`npx conveyor schedules apply\`.`
  );
}

/** The monitor schedule a pipeline's definition asks for (`monitors`), and a fingerprint of it. */
export function desiredMonitorSchedule(pipeline: PipelineDefinition, options: Pick<ScheduleClientOptions, 'config'>): { options: ScheduleOptions; fingerprint: string } {
  const input: PipelineMonitorInput = { pipeline: pipeline.name };
  const options_: ScheduleOptions = {
    scheduleId: monitorScheduleIdOf(pipeline.name),
    spec: { intervals: [{ every: `${pipeline.monitors.everyMinutes} minutes` }] },
    // One check at a time (they share the alert state); a missed check is not worth making up.
    policies: { catchupWindow: '1 minute', overlap: ScheduleOverlapPolicy.SKIP, pauseOnFailure: false },
    action: {
      type: 'startWorkflow',
      workflowType: 'pipelineMonitor',
      workflowId: monitorWorkflowIdOf(pipeline.name),
      taskQueue: options.config.taskQueue,
      args: [input],
      staticSummary: `${pipeline.name}: monitor`,
    },
    state: { note: monitorScheduleNote(pipeline) },
  };
  return withFingerprint(options_);
}

/** The memo carries a fingerprint of everything but the state (paused, note: the operators'). */
function withFingerprint(options: ScheduleOptions): { options: ScheduleOptions; fingerprint: string } {
  const { state: _state, ...fingerprinted } = options;
  const fingerprint = createHash('sha256').update(JSON.stringify(fingerprinted)).digest('hex').slice(0, 16);
  return { fingerprint, options: { ...options, action: { ...options.action, memo: { [FINGERPRINT_MEMO]: fingerprint } } } };
}

/** gRPC codes of a server that is (re)starting: DEADLINE_EXCEEDED, UNAVAILABLE. */
const WARMING_CODES = new Set([4, 14]);

/** Retry `call` while the server answers as one that is still starting, for at most ~60 s. */
export async function retryWhileServerWarms<T>(call: () => Promise<T>, budgetMs = 60_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const code = (err as { cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
      if (!WARMING_CODES.has(Number(code)) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** (attempt - 1))));
    }
  }
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

/** Conveyor's schedules on the server (IDs starting `conveyor-`), by ID. */
async function existingSchedules(client: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) ids.add(s.scheduleId);
  return ids;
}

/** Made by `apply` for this deployment: it carries the fingerprint memo and starts runs on our task queue. */
function isOurs(d: ScheduleDescription, taskQueue: string): boolean {
  return d.action.memo?.[FINGERPRINT_MEMO] !== undefined && d.action.taskQueue === taskQueue;
}

export async function applySchedules(client: Client, options: ScheduleClientOptions): Promise<ApplyResult> {
  const registry = options.registry;
  const result: ApplyResult = { created: [], updated: [], unchanged: [], deleted: [] };
  const existing = await existingSchedules(client);
  // Two per pipeline: its daily partition runs and its monitor.
  for (const [desired, note] of registry.all().flatMap((p) => [
    [desiredSchedule(p, options), scheduleNote(p)] as const,
    [desiredMonitorSchedule(p, options), monitorScheduleNote(p)] as const,
  ])) {
    const id = desired.options.scheduleId;
    existing.delete(id);
    const handle = client.schedule.getHandle(id);
    let current: ScheduleDescription | undefined;
    try {
      // Describing a schedule asks the server's own scheduler workflow: right after a server
      // (re)start that can time out until the server's internal workers run. Retry, bounded.
      current = await retryWhileServerWarms(() => handle.describe());
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!current) {
      await client.schedule.create(desired.options);
      result.created.push(id);
    } else if (current.action.memo?.[FINGERPRINT_MEMO] === desired.fingerprint) {
      result.unchanged.push(id);
    } else {
      // Keep what operators set (paused, and why) through the update.
      await handle.update((previous) => ({
        ...desired.options,
        state: { paused: previous.state.paused, note: previous.state.paused ? previous.state.note : note },
      }));
      result.updated.push(id);
    }
  }
  for (const id of existing) {
    const handle = client.schedule.getHandle(id);
    try {
      // Another deployment's schedule in the same namespace (another task queue) is left alone.
      if (!isOurs(await handle.describe(), options.config.taskQueue)) continue;
      await handle.delete();
      result.deleted.push(id);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err; // deleted meanwhile: nothing to do
    }
  }
  for (const list of Object.values(result)) list.sort();
  return result;
}

export interface ScheduleRow {
  scheduleId: string;
  pipeline: string;
  /** `partitions`: the daily runs; `monitor`: the pipeline's checks. */
  kind: 'partitions' | 'monitor';
  spec: string;
  paused: boolean;
  note: string;
  nextRuns: string[];
  recentRuns: { scheduledAt: string; workflowId: string }[];
}

export async function listSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for (const id of [...(await existingSchedules(client))].sort()) {
    const d = await client.schedule.getHandle(id).describe();
    rows.push({
      scheduleId: id,
      pipeline: id.slice(SCHEDULE_ID_PREFIX.length).replace(new RegExp(`${MONITOR_SCHEDULE_SUFFIX}$`), ''),
      kind: id.endsWith(MONITOR_SCHEDULE_SUFFIX) ? 'monitor' : 'partitions',
      spec: [...(d.spec.calendars?.map((c) => c.comment ?? JSON.stringify(c)) ?? []), ...(d.spec.intervals?.map((i) => `every ${Number(i.every) / 60_000} min`) ?? [])].join('; '),
      paused: d.state.paused,
      note: d.state.note ?? '',
      nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      recentRuns: d.info.recentActions.slice(-5).map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    });
  }
  return rows;
}

async function pipelineSchedule(client: Client, pipeline: string, registry: PipelineRegistry) {
  registry.get(pipeline); // unknown pipeline: one line listing the known ones
  const handle = client.schedule.getHandle(scheduleIdOf(pipeline));
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new InputError(`${pipeline} has no schedule yet: run \`npx conveyor schedules apply\``);
    throw err;
  }
}

/** Pause a pipeline's schedule; the reason and who paused it become its note. */
export async function pauseSchedule(client: Client, pipeline: string, change: { reason: string; by?: string }, registry: PipelineRegistry): Promise<string> {
  if (!change.reason.trim()) throw new InputError('--reason is required: say why the schedule is paused');
  const { handle } = await pipelineSchedule(client, pipeline, registry);
  const note = `Paused by ${operatorName(change.by)} at ${new Date().toISOString()}: ${change.reason}`;
  await handle.pause(note);
  return note;
}

/** Unpause it; the note says again what it runs. */
export async function unpauseSchedule(client: Client, pipeline: string, change: { reason?: string; by?: string } = {}, registry: PipelineRegistry): Promise<void> {
  const { handle } = await pipelineSchedule(client, pipeline, registry);
  const unpaused = `Unpaused by ${operatorName(change.by)} at ${new Date().toISOString()}${change.reason ? `: ${change.reason}` : ''}.`;
  await handle.unpause(`${scheduleNote(registry.get(pipeline))} ${unpaused}`);
}

/** Run the schedule's action now (its partition: the latest available one). */
export async function triggerSchedule(client: Client, pipeline: string, registry: PipelineRegistry): Promise<void> {
  const { handle } = await pipelineSchedule(client, pipeline, registry);
  await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
}
