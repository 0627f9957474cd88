/**
 * The state of each pipeline's data, for people (`npx conveyor status`, the dashboard) and scripts
 * (`--json`, `GET /api/status`): owner, freshness, the last run's outcome, recent partitions with
 * their rows and rejects, running backfills and open alerts. Read from the lake (while workers
 * write) and, when it answers, the Temporal server (running partitions and backfills).
 */
import type { Client } from '@temporalio/client';
import type { ConveyorConfig } from '../platform/config';
import { lakeOf } from '../lake/layout';
import type { Alert } from '../monitoring/alerts';
import { readOpenAlerts } from '../monitoring/alert-store';
import { lastFinishedRun, observePipeline, runningBackfillRanges, runningPartitions, type BackfillRange, type RunningRuns } from '../monitoring/observe';
import type { RunRecord } from '../common/run-record';
import { describeFreshness, type Freshness, type PartitionCell } from '../monitoring/partition-states';
import type { PipelineRegistry } from '../definitions/registry';
import { webUiWorkflowUrl } from '../common/web-ui';
import type { PartitionKind, PartitionScheme } from '../common/partitions';
import { partitionSchemeOf } from '../definitions/definition';

export interface PartitionSummary {
  partition: string;
  state: PartitionCell['state'];
  rowsPublished: number | null;
  rowsRejected: number | null;
  runId: string | null;
  workflowId: string | null;
  failureClass: string | null;
  /** Its latest run's checks that broke, as `name (severity, N rows)`; empty when none did. */
  checksFailed: string[];
  /** The run in the Temporal Web UI (null when nothing ran). */
  webUiUrl: string | null;
}

export interface PipelineStatus {
  pipeline: string;
  owner: string;
  /** How its partitions are keyed: the calendar's shape (days × hours, weeks, months, a row of keys). */
  partitionKind: PartitionKind;
  newestPublished: string | null;
  freshness: Freshness & { text: string };
  lastRun: { partition: string; runId: string; workflowId: string; runKind: string; status: string; failureClass: string | null; finishedAt: string } | null;
  /** The partitions of the newest `days` days (hours of those days, their weeks or months; every static key), newest last. */
  partitions: PartitionSummary[];
  /** Running backfills' IDs; null when the server could not be asked. */
  runningBackfills: string[] | null;
  openAlerts: Alert[];
}

export interface StatusReport {
  asOf: string;
  /** Null when the server answered; otherwise why running partitions and backfills are unknown. */
  serverUnavailable: string | null;
  pipelines: PipelineStatus[];
}

type StatusConfig = Pick<ConveyorConfig, 'lakeDir' | 'lakeUrl' | 'webUiUrl' | 'namespace'>;

export async function statusReport(
  config: StatusConfig,
  registry: PipelineRegistry,
  options: { client?: Client; serverUnavailable?: string; days?: number; nowMs?: number },
): Promise<StatusReport> {
  const lake = lakeOf(config);
  const nowMs = options.nowMs ?? Date.now();
  let serverUnavailable = options.client ? null : (options.serverUnavailable ?? 'no connection');
  const pipelines: PipelineStatus[] = [];
  for (const pipeline of registry.all().sort((a, b) => a.name.localeCompare(b.name))) {
    let running: RunningRuns | undefined;
    let backfills: string[] | null = null;
    let ranges: BackfillRange[] = [];
    let newest: PipelineStatus['lastRun'] = null;
    if (options.client && !serverUnavailable) {
      try {
        running = await runningPartitions(options.client, pipeline.name);
        ranges = await runningBackfillRanges(options.client, pipeline.name);
        backfills = ranges.map((r) => r.backfillId);
        const found = await lastFinishedRun(options.client, lake, pipeline.name);
        if (found) newest = lastRunOf(found.partition, found.record);
      } catch (err) {
        serverUnavailable = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
      }
    }
    const shown = partitionsCovering(partitionSchemeOf(pipeline), options.days ?? 7);
    const observation = await observePipeline(lake, registry, pipeline.name, nowMs, running, shown, ranges);
    // The last run: the newest the server lists anywhere in the range (a partition run by hand long ago
    // included), or, without a server, the newest among the partitions observed (the window and its baseline).
    const inWindow = observation.cells
      .map((c) => c.lastRun && { partition: c.partition, ...c.lastRun })
      .filter((r): r is NonNullable<typeof r> => Boolean(r))
      .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt))
      .at(-1);
    const windowLast: PipelineStatus['lastRun'] = inWindow
      ? { partition: inWindow.partition, runId: inWindow.runId, workflowId: inWindow.workflowId, runKind: inWindow.runKind, status: inWindow.status, failureClass: inWindow.failureClass, finishedAt: inWindow.finishedAt }
      : null;
    const last = [newest, windowLast].filter((r): r is NonNullable<typeof r> => r !== null).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt)).at(-1) ?? null;
    pipelines.push({
      pipeline: pipeline.name,
      owner: pipeline.owner,
      partitionKind: pipeline.partitions.kind,
      newestPublished: observation.freshness.newestPublished,
      freshness: { ...observation.freshness, text: describeFreshness(observation.freshness) },
      lastRun: last,
      partitions: observation.cells.slice(-shown).map((c) => summaryOf(config, c)),
      runningBackfills: backfills,
      openAlerts: await readOpenAlerts(lake, pipeline.name),
    });
  }
  return { asOf: new Date(nowMs).toISOString(), serverUnavailable, pipelines };
}

/** A run record as the status's last run. */
function lastRunOf(partition: string, r: RunRecord): NonNullable<PipelineStatus['lastRun']> {
  return { partition, runId: r.run_id, workflowId: r.workflow_id, runKind: r.run_kind, status: r.status, failureClass: r.failure_class, finishedAt: r.finished_at };
}

function summaryOf(config: StatusConfig, c: PartitionCell): PartitionSummary {
  const workflowId = c.running?.workflowId ?? c.lastRun?.workflowId ?? null;
  const runId = c.running?.runId ?? c.lastRun?.runId ?? c.published?.runId ?? null;
  return {
    partition: c.partition,
    state: c.state,
    rowsPublished: c.published?.rows ?? null,
    rowsRejected: c.lastRun?.rowsRejected ?? null,
    runId,
    workflowId,
    failureClass: c.state === 'failed' ? (c.lastRun?.failureClass ?? null) : null,
    checksFailed: (c.lastRun?.checksFailed ?? []).map((k) => `${k.name} (${k.severity}, ${k.failedRows} row${k.failedRows === 1 ? '' : 's'})`),
    webUiUrl: workflowId ? webUiWorkflowUrl(config, workflowId, runId ?? undefined) : null,
  };
}

/** Rows of the text table per pipeline (a day of hours); the counts line covers them all. */
const SHOWN_ROWS = 24;

/** `npx conveyor status` as text. */
export function statusText(report: StatusReport): string {
  const lines: string[] = [];
  for (const p of report.pipelines) {
    lines.push(`${p.pipeline}  (owner ${p.owner})`);
    lines.push(`  newest published: ${p.newestPublished ?? '-'}`);
    lines.push(`  freshness:        ${p.freshness.text}`);
    lines.push(
      `  last run:         ${p.lastRun ? `${p.lastRun.partition} ${p.lastRun.status}${p.lastRun.failureClass ? ` (${p.lastRun.failureClass})` : ''}, ${p.lastRun.runKind}, finished ${p.lastRun.finishedAt}, run ${p.lastRun.runId}` : '-'}`,
    );
    lines.push(`  backfills:        ${p.runningBackfills === null ? 'unknown (server not reachable)' : p.runningBackfills.length === 0 ? 'none running' : p.runningBackfills.join(', ')}`);
    lines.push(`  open alerts:      ${p.openAlerts.length === 0 ? 'none' : p.openAlerts.length}`);
    for (const a of p.openAlerts) lines.push(`    ${a.severity.padEnd(8)} ${a.condition.padEnd(15)} ${a.partition ?? '-'}  ${a.summary}`);
    const counts = new Map<string, number>();
    for (const r of p.partitions) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    lines.push(`  recent partitions (${p.partitions.length} ${p.partitionKind}): ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'none'}`);
    const width = Math.max(9, ...p.partitions.map((r) => r.partition.length));
    lines.push(`    ${'partition'.padEnd(width)}  state      published   rejected  run`);
    const newest = [...p.partitions].reverse();
    for (const r of newest.slice(0, SHOWN_ROWS)) {
      lines.push(`    ${r.partition.padEnd(width)}  ${r.state.padEnd(9)}  ${String(r.rowsPublished ?? '-').padStart(9)}  ${String(r.rowsRejected ?? '-').padStart(9)}  ${r.runId ?? '-'}${r.failureClass ? ` (${r.failureClass})` : ''}${r.checksFailed.length ? `  checks broken: ${r.checksFailed.join(', ')}` : ''}`);
    }
    if (newest.length > SHOWN_ROWS) lines.push(`    … ${newest.length - SHOWN_ROWS} older (\`--json\` lists them all)`);
    lines.push('');
  }
  if (report.serverUnavailable) lines.push(`Running partitions and backfills unknown: ${report.serverUnavailable}`);
  return lines.join('\n').trimEnd();
}

/** How many partitions `days` days span in a scheme: 24 a day for hours, a week per 7 days, a month per 30; every key of a static set. */
export function partitionsCovering(scheme: PartitionScheme, days: number): number {
  const spec = scheme.spec;
  switch (spec.kind) {
    case 'hourly':
      return days * 24;
    case 'weekly':
      return Math.ceil(days / 7);
    case 'monthly':
      return Math.ceil(days / 30);
    case 'static':
      return spec.keys.length;
    default:
      return days;
  }
}
