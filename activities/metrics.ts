/**
 * Conveyor's own metrics, exported with the Temporal SDK's through the worker runtime's Prometheus
 * endpoint (CONVEYOR_METRICS_PORT). Recorded from activities, through the activity's metric meter
 * (which adds the namespace and task queue); a no-op when the runtime exports no metrics.
 */
import { Context } from '@temporalio/activity';
import type { UnfinishedRunRecord } from '../common/run-record';

const meter = () => Context.current().metricMeter;

/** Counters and step durations of a finished partition run. */
export function recordRunMetrics(record: UnfinishedRunRecord): void {
  const m = meter();
  const pipeline = { pipeline: record.pipeline };
  if (record.status === 'succeeded') {
    m.createCounter('conveyor_partitions_published', 'partitions', 'Partitions published').add(1, pipeline);
    m.createCounter('conveyor_rows_published', 'rows', 'Rows published').add(record.rows_published ?? 0, pipeline);
  } else {
    m.createCounter('conveyor_partitions_failed', 'partitions', 'Partitions failed, by failure class').add(1, { ...pipeline, failure_class: record.failure_class ?? 'code' });
  }
  m.createCounter('conveyor_rows_rejected', 'rows', 'Rows sent to the reject bin').add(record.rows_rejected ?? 0, pipeline);
  const steps = m.createHistogram('conveyor_step_duration', 'int', 'ms', 'Duration of each step of a partition run');
  for (const [step, ms] of Object.entries(record.durations_ms)) if (ms !== undefined) steps.record(Math.max(0, Math.round(ms)), { ...pipeline, step });
}

/** The freshness lag of a pipeline's newest published partition, as the monitor last saw it. */
export function recordFreshness(pipeline: string, lagHours: number | null): void {
  if (lagHours === null) return;
  meter().createGauge('conveyor_freshness_lag_hours', 'float', 'h', "Hours since the end of the newest published partition's day").set(lagHours, { pipeline });
}
