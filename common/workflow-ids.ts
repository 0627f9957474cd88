/** Workflow IDs are part of the contract: one ID per partition means one run of it at a time. */
export function partitionWorkflowId(pipeline: string, partition: string): string {
  return `${pipeline}/${partition}`;
}

/** The Temporal Schedule that runs a pipeline daily (one per pipeline). */
export const SCHEDULE_ID_PREFIX = 'conveyor-';
export function scheduleIdOf(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}`;
}

/** The Temporal Schedule that runs a pipeline's monitor every few minutes. Pipeline names have no `-`. */
export const MONITOR_SCHEDULE_SUFFIX = '-monitor';
export function monitorScheduleIdOf(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}${MONITOR_SCHEDULE_SUFFIX}`;
}

/** The ID a monitor Schedule gives its runs, before Temporal appends the scheduled time. */
export function monitorWorkflowIdOf(pipeline: string): string {
  return `${pipeline}/monitor`;
}

/** The ID a Schedule gives its runs, before Temporal appends the scheduled time: `orders/scheduled-2024-03-02T02:00:00Z`. */
export function scheduledWorkflowIdOf(pipeline: string): string {
  return `${pipeline}/scheduled`;
}
