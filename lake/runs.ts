/**
 * The lake's records of runs, read and written as files: run manifests (one JSON file per run, never
 * rewritten) and which partitions are published (a partition is published when its `data.parquet`
 * exists). What the planner, the CLIs and the client know of past runs comes from here.
 */
import path from 'node:path';
import type { IngestedFile, RunManifest } from '../common/run-types';
import { DATA_FILE, partitionKeyOfDir, type LakeLayout } from './layout';

/** A manifest as stored: snake_case fields, the columns of `meta.partition_runs`. */
export interface ManifestRecord {
  run_id: string;
  workflow_id: string;
  pipeline: string;
  partition_key: string;
  run_kind: string;
  backfill_id: string | null;
  status: 'succeeded' | 'failed';
  failure_class: string | null;
  failure_step: string | null;
  failure_reason: string | null;
  rows_in: number | null;
  rows_rejected: number | null;
  rows_duplicate: number | null;
  rows_published: number | null;
  /** `rows` and `malformed_rows` are null when the run ended before transform parsed the file. */
  files: { name: string; bytes: number; sha256: string; rows: number | null; malformed_rows: number | null }[];
  attempts: Record<string, number>;
  durations_ms: Record<string, number>;
  started_at: string;
  finished_at: string;
  overrides: { kind: string; reason: string; requested_by: string; requested_at: string }[];
  /** A downstream pipeline's: the upstream partitions it read and the runs that had published them. */
  upstream: { pipeline: string; partition_key: string; run_id: string | null }[];
}

export function manifestRecordOf(manifest: RunManifest, finishedAt: Date): ManifestRecord {
  return {
    run_id: manifest.runId,
    workflow_id: manifest.workflowId,
    pipeline: manifest.pipeline,
    partition_key: manifest.partition,
    run_kind: manifest.runKind,
    backfill_id: manifest.backfillId ?? null,
    status: manifest.status,
    failure_class: manifest.failure?.failureClass ?? null,
    failure_step: manifest.failure?.step ?? null,
    failure_reason: manifest.failure?.reason ?? null,
    rows_in: manifest.rows.in ?? null,
    rows_rejected: manifest.rows.rejected ?? null,
    rows_duplicate: manifest.rows.duplicate ?? null,
    rows_published: manifest.rows.published ?? null,
    files: manifest.files.map((f: IngestedFile) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256, rows: f.rows ?? null, malformed_rows: f.malformedRows ?? null })),
    attempts: manifest.attempts,
    durations_ms: manifest.durationsMs,
    started_at: manifest.startedAt,
    finished_at: finishedAt.toISOString(),
    overrides: (manifest.overrides ?? []).map((o) => ({ kind: o.kind, reason: o.reason, requested_by: o.by, requested_at: o.at })),
    upstream: (manifest.upstream ?? []).map((u) => ({ pipeline: u.pipeline, partition_key: u.partition, run_id: u.runId })),
  };
}

/**
 * Write a run's manifest, once (lake/area.ts writeOnce: a folder links in a flushed file; S3 writes with
 * `If-None-Match: *`), so a reader never sees half of it and a retry of the same run keeps the first.
 * Returns false when it was already recorded.
 */
export async function writeManifest(layout: LakeLayout, record: ManifestRecord): Promise<boolean> {
  return layout.area.writeOnce(layout.manifestFile(record.pipeline, record.partition_key, record.run_id), JSON.stringify(record) + '\n');
}

/** Every manifest of one partition, oldest first. A manifest that is not valid JSON is skipped and reported. */
export async function readManifests(
  layout: LakeLayout,
  pipeline: string,
  partition: string,
  onUnreadable: (file: string) => void = () => undefined,
): Promise<ManifestRecord[]> {
  const dir = layout.manifestDir(pipeline, partition);
  const names = await layout.area.readdir(dir);
  const records: ManifestRecord[] = [];
  for (const name of names.filter(isRecordName)) {
    const file = path.join(dir, name);
    try {
      const text = await layout.area.readText(file);
      if (text !== undefined) records.push(JSON.parse(text) as ManifestRecord);
    } catch (err) {
      if (err instanceof SyntaxError) onUnreadable(file);
      else throw err;
    }
  }
  return records.sort((a, b) => a.finished_at.localeCompare(b.finished_at));
}

/** A record's file name (`*.json`), not a writer's hidden temp file. */
export const isRecordName = (name: string) => name.endsWith('.json') && !name.startsWith('.');

/** The partitions of `pipeline` that have a published file, among those `wanted` says when given. */
export async function publishedPartitions(layout: LakeLayout, pipeline: string, wanted?: (key: string) => boolean): Promise<Set<string>> {
  const published = new Set<string>();
  const accept = (name: string) => {
    const key = partitionKeyOfDir(name);
    return key !== undefined && (!wanted || wanted(key));
  };
  for (const name of await layout.area.foldersHolding(layout.tableDir(pipeline), DATA_FILE, accept)) published.add(partitionKeyOfDir(name)!);
  return published;
}
