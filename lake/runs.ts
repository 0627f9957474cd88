/**
 * The lake's records of runs, read and written as files: run manifests (one JSON file per run, never
 * rewritten) and which partitions are published (a partition is published when its `data.parquet`
 * exists). What the planner, the CLIs and the client know of past runs comes from here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IngestedFile, RunManifest } from '../common/run-types';
import { FolderStore, PreconditionFailed } from './object-store';
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
 * Write a run's manifest, once: written and flushed beside its place, then linked in, so a reader never
 * sees half of it, it survives a power cut, and a retry of the same run keeps the first. Returns false
 * when it was already recorded.
 */
export async function writeManifest(layout: LakeLayout, record: ManifestRecord): Promise<boolean> {
  return writeJsonOnce(layout.manifestFile(record.pipeline, record.partition_key, record.run_id), record);
}

/** Write a JSON record to `file` once (see writeManifest); false when the file exists already. */
export async function writeJsonOnce(file: string, record: object): Promise<boolean> {
  try {
    await new FolderStore(path.dirname(file)).create(path.basename(file), JSON.stringify(record) + '\n');
    return true;
  } catch (err) {
    if (err instanceof PreconditionFailed) return false;
    throw err;
  }
}

/** Every manifest of one partition, oldest first. A manifest that is not valid JSON is skipped and reported. */
export async function readManifests(
  layout: LakeLayout,
  pipeline: string,
  partition: string,
  onUnreadable: (file: string) => void = () => undefined,
): Promise<ManifestRecord[]> {
  const dir = layout.manifestDir(pipeline, partition);
  const names = await readdirOrEmpty(dir);
  const records: ManifestRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
    try {
      records.push(JSON.parse(await fs.promises.readFile(path.join(dir, name), 'utf8')) as ManifestRecord);
    } catch {
      onUnreadable(path.join(dir, name));
    }
  }
  return records.sort((a, b) => a.finished_at.localeCompare(b.finished_at));
}

/** The partitions of `pipeline` that have a published file, within [from, to] when given. */
export async function publishedPartitions(layout: LakeLayout, pipeline: string, wanted?: (key: string) => boolean): Promise<Set<string>> {
  const dir = layout.tableDir(pipeline);
  const published = new Set<string>();
  for (const name of await readdirOrEmpty(dir)) {
    const key = partitionKeyOfDir(name);
    if (!key || (wanted && !wanted(key))) continue;
    if (fs.existsSync(path.join(dir, name, DATA_FILE))) published.add(key);
  }
  return published;
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
