/**
 * pipelineMonitor: what a pipeline's monitor Schedule (`conveyor-<pipeline>-monitor`, every
 * `monitors.everyMinutes`) starts. It checks the pipeline's data (freshness, failed and missing
 * partitions, row counts, rejects) and delivers the alerts raised and resolved to the pipeline's
 * sinks (each sink on its own, side by side), then saves the open alerts. Short-lived: between runs
 * nothing waits on a worker. A sink that keeps failing is logged and reported in the result, and the
 * rest of that run's events for it are not tried (so a dead webhook cannot hold up the next check);
 * the other sinks still get them. A run that dies before saving raises its events again next time.
 *
 * Workflow ID: `<pipeline>.monitor-<scheduled time>` (the Schedule appends the timestamp).
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

const { checkPipeline, commitAlerts } = proxyActivities<ConveyorActivities>({ startToCloseTimeout: '2 minutes', retry: workStepRetryPolicy(3) });
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
  await Promise.all(
    check.sinks.map(async (sink) => {
      let failed: string | undefined;
      for (const event of check.events) {
        if (failed) {
          undelivered.push(`${sink}: ${event.kind} ${event.alert.key} (not tried: ${failed})`);
          continue;
        }
        try {
          await deliverAlert({ sink, event });
        } catch (err) {
          if (isCancellation(err)) throw err;
          failed = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
          undelivered.push(`${sink}: ${event.kind} ${event.alert.key} (${failed})`);
          log.warn('alert not delivered', { sink, alert: event.alert.key, reason: failed });
        }
      }
    }),
  );
  if (check.events.length > 0 || check.expired.length > 0) await commitAlerts({ pipeline: check.pipeline, open: check.open });
  return {
    pipeline: check.pipeline,
    freshness: check.freshness,
    openAlerts: check.openAlerts,
    raised: check.events.filter((e) => e.kind === 'raised').map((e) => e.alert.key),
    resolved: check.events.filter((e) => e.kind === 'resolved').map((e) => e.alert.key),
    undelivered,
  };
}
