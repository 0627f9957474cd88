/**
 * What the lake and the server say about a pipeline's recent partitions: the facts the monitor's
 * checks, `npm run status` and the dashboard read. The lake is read without locks (while workers
 * write); the server is asked which partitions and backfills are running.
 */
import type { Client } from '@temporalio/client';
import { progressQuery } from '../workflows/backfill-api';
import { PARTITION_SA } from '../common/search-attributes';
import type { DuckSession } from '../lake/duckdb';
import type { LakeLayout } from '../lake/layout';
import { activeWaiver, type OverrideFileRecord } from '../lake/overrides';
import { withLakeReader } from '../lake/reader';
import { monitorWindowOf, partitionSchemeOf, type PipelineDefinition } from '../pipelines/definition';
import { latestAvailablePartition, type PipelineRegistry } from '../pipelines/registry';
import { freshnessOf, partitionCells, type Freshness, type PartitionCell, type PartitionFacts } from './partition-states';

/** Running partition runs of a pipeline, by partition (from the server's visibility store). */
export type RunningRuns = Map<string, { workflowId: string; runId: string }>;

export interface PipelineObservation {
  pipeline: string;
  owner: string;
  asOf: string;
  /** The monitored window: the newest `monitors.windowPartitions` partitions that exist. */
  window: { from: string; to: string };
  /** Every observed partition, oldest first: the window and, before it, the row-count baseline. */
  cells: PartitionCell[];
  freshness: Freshness;
  /** False when the server could not be asked (no partition shows as running then). */
  runningKnown: boolean;
}

/** The partitions observed for a pipeline at `nowMs`: the window, and the baseline days before it. */
export function observedRange(pipeline: PipelineDefinition, nowMs: number, partitions = monitorWindowOf(pipeline)) {
  const scheme = partitionSchemeOf(pipeline);
  const to = latestAvailablePartition(pipeline, nowMs);
  const first = scheme.indexOf(scheme.first)!;
  const toIndex = scheme.indexOf(to)!;
  const windowFrom = Math.max(first, toIndex - (partitions - 1));
  const from = Math.max(first, windowFrom - 2 * pipeline.monitors.rowCount.trailingPartitions);
  return { from: scheme.keyOf(Math.min(from, toIndex)), windowFrom: scheme.keyOf(Math.min(windowFrom, toIndex)), to, empty: toIndex < first };
}
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

/** Read one pipeline's partition facts from the lake (through the same views as `npm run sql`). */
export async function readPartitionFacts(db: DuckSession, pipeline: string, range: { from: string; to: string }): Promise<{ facts: Map<string, PartitionFacts>; newestPublished: string | null }> {
  const params = { pipeline, from: range.from, to: range.to };
  const facts = new Map<string, PartitionFacts>();
  const at = (p: string) => facts.get(p) ?? (facts.set(p, { partition: p }).get(p) as PartitionFacts);
  // The latest run of each partition. (arg_max, not QUALIFY row_number(): DuckDB 1.5's top-N window
  // optimizer fails an internal assertion on that query.)
  const runs = await db.query(
    `SELECT unnest(latest) FROM (
       SELECT arg_max({partition_key: partition_key, run_id: run_id, workflow_id: workflow_id, run_kind: run_kind, status: status,
                       failure_class: failure_class, failure_step: failure_step, failure_reason: failure_reason, rows_in: rows_in,
                       rows_rejected: rows_rejected, rows_published: rows_published, finished_at: finished_at}, finished_at) AS latest
       FROM meta.partition_runs WHERE pipeline = $pipeline AND partition_key BETWEEN $from AND $to GROUP BY partition_key)`,
    params,
  );
  for (const r of runs) {
    at(String(r.partition_key)).lastRun = {
      runId: String(r.run_id),
      workflowId: String(r.workflow_id),
      runKind: String(r.run_kind),
      status: r.status === 'succeeded' ? 'succeeded' : 'failed',
      failureClass: (r.failure_class as string | null) ?? null,
      failureStep: (r.failure_step as string | null) ?? null,
      failureReason: (r.failure_reason as string | null) ?? null,
      rowsIn: num(r.rows_in),
      rowsRejected: num(r.rows_rejected),
      rowsPublished: num(r.rows_published),
      finishedAt: iso(r.finished_at)!,
    };
  }
  const published = await db.query(
    `SELECT partition_key, run_id, rows, published_at, run_kind FROM meta.published_partitions
     WHERE pipeline = $pipeline AND partition_key BETWEEN $from AND $to`,
    params,
  );
  for (const r of published) {
    at(String(r.partition_key)).published = { runId: String(r.run_id), rows: Number(r.rows), publishedAt: iso(r.published_at), runKind: (r.run_kind as string | null) ?? null };
  }
  const overrides = await db.query<Record<string, string>>(
    `SELECT partition_key, kind, reason, requested_by, requested_at::VARCHAR AS requested_at FROM meta.overrides
     WHERE pipeline = $pipeline AND partition_key BETWEEN $from AND $to AND kind IN ('skip', 'rerun')`,
    params,
  );
  const byPartition = new Map<string, OverrideFileRecord[]>();
  for (const o of overrides) {
    const list = byPartition.get(o.partition_key!) ?? [];
    list.push({ pipeline, partition_key: o.partition_key!, kind: o.kind as OverrideFileRecord['kind'], reason: o.reason!, requested_by: o.requested_by!, requested_at: o.requested_at!, run_id: null });
    byPartition.set(o.partition_key!, list);
  }
  for (const [p, list] of byPartition) {
    const waiver = activeWaiver(list.sort((a, b) => a.requested_at.localeCompare(b.requested_at)));
    if (waiver) at(p).skipped = { by: waiver.requested_by, reason: waiver.reason };
  }
  const newest = await db.query(`SELECT max(partition_key) AS p FROM meta.published_partitions WHERE pipeline = $pipeline`, { pipeline });
  return { facts, newestPublished: (newest[0]?.p as string | null) ?? null };
}

/** Observe a pipeline: its cells over the observed range, its freshness, with `running` from the server (or unknown). */
export async function observePipeline(
  lake: LakeLayout,
  registry: PipelineRegistry,
  name: string,
  nowMs: number,
  running: RunningRuns | undefined,
  days?: number,
  backfills: readonly BackfillRange[] = [],
): Promise<PipelineObservation> {
  const pipeline = registry.get(name);
  const range = observedRange(pipeline, nowMs, days);
  const scheme = partitionSchemeOf(pipeline);
  // Time keys sort as strings, so the range is a BETWEEN; a static set's keys do not: read them all.
  const keys = pipeline.partitions.kind === 'static' ? [...pipeline.partitions.keys].sort() : undefined;
  const bounds = keys ? { from: keys[0]!, to: keys[keys.length - 1]! } : range;
  const { facts, newestPublished } = await withLakeReader(lake, registry, (db) => readPartitionFacts(db, name, bounds));
  const inRange = (p: string) => scheme.isKey(p) && scheme.indexOf(p)! >= scheme.indexOf(range.from)! && scheme.indexOf(p)! <= scheme.indexOf(range.to)!;
  const factsOf = (partition: string) => facts.get(partition) ?? (facts.set(partition, { partition }).get(partition) as PartitionFacts);
  for (const [partition, run] of running ?? []) if (inRange(partition)) factsOf(partition).running = run;
  // Partitions a running backfill has still to reach are queued, not missing (scanned over the observed range only).
  if (!range.empty) {
    for (const b of backfills) {
      const [lo, hi] = [scheme.indexOf(b.from), scheme.indexOf(b.to)];
      if (lo === undefined || hi === undefined) continue;
      for (const key of scheme.range(range.from, range.to)) {
        const i = scheme.indexOf(key)!;
        if (i >= lo && i <= hi) factsOf(key).backfill ??= b.backfillId;
      }
    }
  }
  return {
    pipeline: name,
    owner: pipeline.owner,
    asOf: new Date(nowMs).toISOString(),
    window: { from: range.windowFrom, to: range.to },
    cells: range.empty ? [] : partitionCells(scheme, facts, range, pipeline.freshnessObjectiveHours, nowMs),
    freshness: freshnessOf(scheme, newestPublished, pipeline.freshnessObjectiveHours, nowMs, scheme.first),
    runningKnown: running !== undefined,
  };
}

/** Running partition runs of a pipeline, from the server. */
export async function runningPartitions(client: Client, pipeline: string): Promise<RunningRuns> {
  const running: RunningRuns = new Map();
  const query = `WorkflowType = 'partitionPipeline' AND ExecutionStatus = 'Running' AND Pipeline = '${pipeline}'`;
  for await (const w of client.workflow.list({ query })) {
    const partition = w.typedSearchAttributes.get(PARTITION_SA);
    if (partition) running.set(partition, { workflowId: w.workflowId, runId: w.runId });
  }
  return running;
}

/** A running backfill's range: the partitions it has still to reach are not missing. */
export interface BackfillRange {
  backfillId: string;
  from: string;
  to: string;
}

/** Running backfills of a pipeline with their ranges (each asked by its progress query). */
export async function runningBackfillRanges(client: Client, pipeline: string): Promise<BackfillRange[]> {
  const ranges: BackfillRange[] = [];
  for (const backfillId of await runningBackfills(client, pipeline)) {
    try {
      const { from, to } = await client.workflow.getHandle(backfillId).query(progressQuery);
      ranges.push({ backfillId, from, to });
    } catch {
      // It ended meanwhile: nothing queued by it.
    }
  }
  return ranges;
}

/** Running backfills of a pipeline (their IDs), from the server. */
export async function runningBackfills(client: Client, pipeline: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = 'backfillPipeline' AND ExecutionStatus = 'Running' AND Pipeline = '${pipeline}'`;
  for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
  return ids.sort();
}
