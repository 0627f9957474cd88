/**
 * pipelineMonitor: what a pipeline's monitor Schedule (`conveyor-<pipeline>-monitor`, every
 * `monitors.everyMinutes`) starts. It checks the pipeline's data (freshness, failed and missing
 * partitions, row counts, rejects) and delivers the alerts raised and resolved to the pipeline's
 * sinks. Short-lived: between runs nothing waits on a worker. A sink that keeps failing is logged and
 * reported in the result; the check itself has already recorded the alert state.
 *
 * Workflow ID: `<pipeline>/monitor-<scheduled time>` (the Schedule appends the timestamp).
 */
import { ActivityFailure, ApplicationFailure, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { ConveyorActivities } from '../activities';
import { FAILURE_TYPE, workStepRetryPolicy } from '../common/failure-classes';
import { IDENTIFIER_PATTERN } from '../common/identifiers';

export const pipelineMonitorInputSchema = z.object({ pipeline: z.string().regex(IDENTIFIER_PATTERN) });
export type PipelineMonitorInput = z.infer<typeof pipelineMonitorInputSchema>;

export interface PipelineMonitorResult {
  pipeline: string;
  freshness: string;
  openAlerts: number;
  raised: string[];
  resolved: string[];
  /** Deliveries that failed after their retries, as `<sink>: <alert key> (<reason>)`. */
  undelivered: string[];
}

const { checkPipeline } = proxyActivities<ConveyorActivities>({ startToCloseTimeout: '2 minutes', retry: workStepRetryPolicy(3) });
const { deliverAlert } = proxyActivities<ConveyorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 4, nonRetryableErrorTypes: ['UndeliverableAlert'] },
});

export async function pipelineMonitor(rawInput: PipelineMonitorInput): Promise<PipelineMonitorResult> {
  const parsed = pipelineMonitorInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.code, message: `invalid monitor input ${JSON.stringify(rawInput)}: expected { pipeline: <pipeline name> }`, nonRetryable: true });
  }
  const check = await checkPipeline(parsed.data.pipeline);
  const undelivered: string[] = [];
  for (const sink of check.sinks) {
    for (const event of check.events) {
      try {
        await deliverAlert({ sink, event });
      } catch (err) {
        if (isCancellation(err)) throw err;
        const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
        undelivered.push(`${sink}: ${event.kind} ${event.alert.key} (${reason})`);
        log.warn('alert not delivered', { sink, alert: event.alert.key, reason });
      }
    }
  }
  return {
    pipeline: check.pipeline,
    freshness: check.freshness,
    openAlerts: check.openAlerts,
    raised: check.events.filter((e) => e.kind === 'raised').map((e) => e.alert.key),
    resolved: check.events.filter((e) => e.kind === 'resolved').map((e) => e.alert.key),
    undelivered,
  };
}
