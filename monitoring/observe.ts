/**
 * What the lake and the server say about a pipeline's recent partitions: the facts the monitor's
 * checks, `npx conveyor status` and the dashboard read. The lake is read without locks (while workers
 * write); the server is asked which partitions and backfills are running.
 */
import type { Client } from '@temporalio/client';
import { progressQuery } from '../workflows/backfill-api';
import { PARTITION_SA } from '../common/search-attributes';
import type { PartitionScheme } from '../common/partitions';
import { sqlString } from '../common/sql';
import { withDuckDB } from '../lake/duckdb';
import type { RunRecord } from '../common/run-record';
import { publishedPartitions, readManifests } from '../lake/runs';
import type { LakeLayout } from '../lake/layout';
import { activeWaiver, partitionsWithOverrides, readOverrides } from '../lake/overrides';
import { monitorWindowOf, partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import { latestAvailablePartition, type PipelineRegistry } from '../definitions/registry';
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

/** How far back (in partitions) the newest published partition is looked for key by key, before a listing. */
const NEWEST_LOOKBACK = 5_000;

/**
 * Read one pipeline's partition facts for `keys` from the lake: only those partitions' files (their
 * run records, published file and overrides), never a listing or a scan of every partition, so it
 * costs the same at 100 partitions as at 100,000. The newest published partition is found walking
 * back from the newest key (a listing only past NEWEST_LOOKBACK partitions without one).
 */
export async function readPartitionFacts(
  lake: LakeLayout,
  pipeline: string,
  scheme: PartitionScheme,
  keys: readonly string[],
): Promise<{ facts: Map<string, PartitionFacts>; newestPublished: string | null }> {
  const facts = new Map<string, PartitionFacts>();
  const at = (p: string) => facts.get(p) ?? (facts.set(p, { partition: p }).get(p) as PartitionFacts);
  const withOverrides = await partitionsWithOverrides(lake, pipeline);
  const runsByKey = new Map<string, RunRecord[]>();
  const publishedFiles: { key: string; file: string }[] = [];
  for (const key of keys) {
    const runs = await readManifests(lake, pipeline, key);
    runsByKey.set(key, runs);
    const latest = runs[runs.length - 1];
    if (latest) {
      at(key).lastRun = {
        runId: latest.run_id,
        workflowId: latest.workflow_id,
        runKind: latest.run_kind,
        status: latest.status === 'succeeded' ? 'succeeded' : 'failed',
        failureClass: latest.failure_class,
        failureStep: latest.failure_step,
        failureReason: latest.failure_reason,
        rowsIn: num(latest.rows_in),
        rowsRejected: num(latest.rows_rejected),
        rowsPublished: num(latest.rows_published),
        finishedAt: latest.finished_at,
        checksFailed: latest.checks.filter((c) => c.failed_rows > 0).map((c) => ({ name: c.name, severity: c.severity, failedRows: c.failed_rows })),
      };
    }
    if (withOverrides.has(key)) {
      const waiver = activeWaiver((await readOverrides(lake, pipeline, key)).filter((o) => o.kind === 'skip' || o.kind === 'rerun'));
      if (waiver) at(key).skipped = { by: waiver.requested_by, reason: waiver.reason };
    }
  }
  // Who published each partition's file: its version (the Parquet footer in a folder, one HEAD in S3),
  // never the file itself; its rows are in that run's record. Read after the records, so a run that
  // published meanwhile is counted from its file below rather than shown by an older run's record.
  const versions = await withDuckDB((db) => lake.area.versionsOf(db, keys.map((key) => lake.publishedFile(pipeline, key))));
  for (const key of keys) {
    const version = versions.get(lake.publishedFile(pipeline, key));
    if (version === undefined) continue;
    const publisher = version !== 'unreadable' ? runsByKey.get(key)?.find((m) => m.run_id === version.runId && m.rows_published !== null) : undefined;
    if (publisher) {
      at(key).published = { runId: publisher.run_id, rows: Number(publisher.rows_published), publishedAt: publisher.finished_at, runKind: publisher.run_kind };
    } else {
      // No record of the run that published it (a worker lost between publish and its record, or one
      // still recording) or no version: the file's rows are counted. A local copy of it (the file
      // itself in a folder lake; fetched by ETag from S3).
      const file = await lake.area.fetch(lake.publishedFile(pipeline, key));
      if (file !== undefined) publishedFiles.push({ key, file });
    }
  }
  if (publishedFiles.length > 0) {
    // Rows and the publishing run of each such file, in one read of just those files.
    const rows = await withDuckDB((db) =>
      db.query<{ filename: string; rows: bigint; run_id: string }>(
        `SELECT filename, count(*) AS rows, any_value(run_id) AS run_id
         FROM read_parquet([${publishedFiles.map((f) => sqlString(f.file)).join(', ')}], filename = true, hive_partitioning = false) GROUP BY filename`,
      ),
    );
    const byFile = new Map(rows.map((r) => [r.filename, r]));
    for (const { key, file } of publishedFiles) {
      const r = byFile.get(file);
      const run = runsByKey.get(key)?.find((m) => m.run_id === r?.run_id);
      at(key).published = { runId: String(r?.run_id ?? ''), rows: Number(r?.rows ?? 0), publishedAt: run?.finished_at ?? null, runKind: run?.run_kind ?? null };
    }
  }
  return { facts, newestPublished: await newestPublishedPartition(lake, pipeline, scheme, keys[keys.length - 1]) };
}

/** The newest published partition at or before `from`, walking back key by key; a listing only when that finds none nearby. */
async function newestPublishedPartition(lake: LakeLayout, pipeline: string, scheme: PartitionScheme, from: string | undefined): Promise<string | null> {
  if (from !== undefined) {
    const firstIndex = scheme.indexOf(scheme.first)!;
    for (let i = scheme.indexOf(from)!, n = 0; i >= firstIndex && n < NEWEST_LOOKBACK; i -= 1, n += 1) {
      const key = scheme.keyOf(i);
      if ((await lake.area.size(lake.publishedFile(pipeline, key))) !== undefined) return key;
    }
  }
  const all = [...(await publishedPartitions(lake, pipeline))].filter((k) => scheme.isKey(k));
  return all.sort((a, b) => scheme.indexOf(a)! - scheme.indexOf(b)!).at(-1) ?? null;
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
  const keys = range.empty ? [] : [...scheme.range(range.from, range.to)];
  const { facts, newestPublished } = await readPartitionFacts(lake, name, scheme, keys);
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

/**
 * The pipeline's newest finished partition run anywhere in its range (a partition run by hand long
 * ago included): the newest closed run the server lists, and its record in the lake. Undefined when
 * the server lists none or the lake has no record of it (yet).
 */
export async function lastFinishedRun(client: Client, lake: LakeLayout, pipeline: string): Promise<{ partition: string; record: RunRecord } | undefined> {
  // Closed runs list newest first (the SQL visibility stores order by close time).
  const query = `WorkflowType = 'partitionPipeline' AND ExecutionStatus != 'Running' AND Pipeline = '${pipeline}'`;
  for await (const w of client.workflow.list({ query, pageSize: 1 })) {
    const partition = w.typedSearchAttributes.get(PARTITION_SA);
    if (!partition) return undefined;
    const records = await readManifests(lake, pipeline, partition);
    const record = records.find((r) => r.run_id === w.runId) ?? records.at(-1);
    return record && { partition, record };
  }
  return undefined;
}
