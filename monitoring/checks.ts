/**
 * The monitor's checks: from a pipeline's partition cells and freshness, the conditions that hold now
 * (freshness broken, a failed or missing partition, a row count far from its trailing median, too
 * many rejects). Thresholds come from the definition's `monitors`. Pure.
 */
import { monitorWindowOf, type PipelineDefinition } from '../definitions/definition';
import { formatHours, median, type Freshness, type PartitionCell } from './partition-states';

export const ALERT_CONDITIONS = ['freshness', 'failed', 'missing', 'row_count_drop', 'row_count_spike', 'reject_ratio', 'check_warning'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export interface Condition {
  condition: AlertCondition;
  /** The partition it concerns; null for the pipeline as a whole (freshness). */
  partition: string | null;
  severity: 'critical' | 'warning';
  /** One line saying what is wrong, with the numbers. */
  summary: string;
  /** The run to look at (and its workflow), when there is one. */
  runId: string | null;
  workflowId: string | null;
  failureClass: string | null;
}

type Monitored = Pick<PipelineDefinition, 'name' | 'monitors' | 'quality' | 'partitions'>;

/** The share of rejected rows above which a published partition is flagged. */
export function rejectRatioWarning(pipeline: Monitored): number {
  return pipeline.monitors.rejectRatioWarning ?? pipeline.quality.maxRejectedRatio / 2;
}

/**
 * @param cells the partitions observed, oldest first: the monitored window (its newest `windowPartitions`)
 *   and the partitions before it that give the row-count baseline.
 */
export function evaluateChecks(pipeline: Monitored, cells: readonly PartitionCell[], freshness: Freshness): Condition[] {
  const conditions: Condition[] = [];
  const { rowCount } = pipeline.monitors;
  const windowPartitions = monitorWindowOf(pipeline);
  if (freshness.late) {
    const newest = freshness.newestPublished ? cells.find((c) => c.partition === freshness.newestPublished) : undefined;
    conditions.push({
      condition: 'freshness',
      partition: null,
      severity: 'critical',
      summary: freshness.newestPublished
        ? `newest published partition ${freshness.newestPublished} is ${formatHours(freshness.lagHours!)} old, over the ${freshness.objectiveHours} h freshness objective`
        : `nothing published yet (freshness objective ${freshness.objectiveHours} h)`,
      runId: newest?.published?.runId ?? null,
      workflowId: newest?.lastRun?.workflowId ?? null,
      failureClass: null,
    });
  }
  const window = cells.slice(-windowPartitions);
  const firstInWindow = cells.length - window.length;
  window.forEach((cell, i) => {
    const run = { runId: cell.lastRun?.runId ?? cell.published?.runId ?? null, workflowId: cell.lastRun?.workflowId ?? null };
    if (cell.state === 'failed') {
      const r = cell.lastRun!;
      conditions.push({
        condition: 'failed',
        partition: cell.partition,
        severity: 'critical',
        summary: `partition ${cell.partition} failed at ${r.failureStep ?? '?'} (${r.failureClass ?? 'unknown'}): ${r.failureReason ?? 'no reason recorded'}`,
        ...run,
        failureClass: r.failureClass,
      });
    }
    if (cell.state === 'missing') {
      conditions.push({
        condition: 'missing',
        partition: cell.partition,
        severity: 'critical',
        summary: `partition ${cell.partition} has not run and is past its deadline ${cell.deadline}`,
        runId: null,
        workflowId: null,
        failureClass: null,
      });
    }
    if (!cell.published || cell.state === 'failed') return;
    const rows = cell.published.rows;
    const before = cells
      .slice(0, firstInWindow + i)
      .filter((c) => c.published)
      .slice(-rowCount.trailingPartitions)
      .map((c) => c.published!.rows);
    const baseline = before.length >= 3 ? median(before) : undefined;
    if (baseline !== undefined && baseline > 0) {
      const ratio = rows / baseline;
      if (ratio < rowCount.minRatio || ratio > rowCount.maxRatio) {
        const drop = ratio < rowCount.minRatio;
        conditions.push({
          condition: drop ? 'row_count_drop' : 'row_count_spike',
          partition: cell.partition,
          severity: 'warning',
          summary: `partition ${cell.partition} published ${rows} rows, ${(ratio * 100).toFixed(0)}% of the median ${baseline} of the ${before.length} partitions before it (allowed ${rowCount.minRatio * 100}%–${rowCount.maxRatio * 100}%)`,
          runId: cell.published.runId,
          workflowId: cell.lastRun?.workflowId ?? null,
          failureClass: null,
        });
      }
    }
    const r = cell.lastRun;
    const threshold = rejectRatioWarning(pipeline);
    if (r && r.rowsIn && r.rowsRejected !== null && r.rowsRejected / r.rowsIn > threshold) {
      conditions.push({
        condition: 'reject_ratio',
        partition: cell.partition,
        severity: 'warning',
        summary: `partition ${cell.partition} rejected ${r.rowsRejected} of ${r.rowsIn} rows (${((r.rowsRejected / r.rowsIn) * 100).toFixed(2)}%, warning above ${(threshold * 100).toFixed(2)}%)`,
        ...run,
        failureClass: null,
      });
    }
    // A published partition whose `warn` checks broke: published, and worth a look.
    const warned = r?.status === 'succeeded' ? r.checksFailed.filter((c) => c.severity === 'warn') : [];
    if (warned.length > 0) {
      conditions.push({
        condition: 'check_warning',
        partition: cell.partition,
        severity: 'warning',
        summary: `partition ${cell.partition} was published with ${warned.map((c) => `check ${c.name} broken by ${c.failedRows} row(s)`).join(', ')}`,
        ...run,
        failureClass: null,
      });
    }
  });
  return conditions;
}
