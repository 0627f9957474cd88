/**
 * Keeping the lake from growing without bound. A run removes its own staging folder when it ends
 * (recordRun); the janitor removes what crashed or terminated runs left: at the start of a partition's
 * run, every other run's staging folder of that partition (runs of a partition never overlap, so they
 * are all dead), and the temp files of manifests that were never linked in.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LakeLayout } from './layout';

/**
 * Remove one run's staging folder, and the partition's staging folder once it is empty; abort the
 * uploads its steps left. Only uploads begun before `stepScheduledMs` (when the calling step's attempt
 * was scheduled, after every other step of the run) are aborted: a late zombie attempt of the step,
 * still running after the run ended, must not abort the next run's upload.
 */
export async function removeRunStaging(layout: LakeLayout, pipeline: string, partition: string, runId: string, stepScheduledMs: number): Promise<void> {
  await layout.area.removeTree(layout.runStagingDir(pipeline, partition, runId));
  await abortPartitionUploads(layout, pipeline, partition, stepScheduledMs - UPLOAD_CLOCK_SLACK_MS);
  await fs.promises.rmdir(layout.partitionStagingDir(pipeline, partition)).catch(() => undefined);
}

/**
 * The S3 server gives an upload's start to the second, by its own clock: uploads begun this shortly
 * before the cutoff are left to the partition's next run (its start aborts them), never taken for the
 * run's own. A zombie attempt of recordRun comes at least its timeout (a minute) after the cutoff.
 */
export const UPLOAD_CLOCK_SLACK_MS = 5_000;

/** A temp file older than this belongs to a writer that died (a manifest is written in milliseconds). */
const TEMP_FILE_GRACE_MS = 10 * 60_000;

/**
 * The janitor step of a partition: remove the staging folders of its earlier runs and stale temp
 * files. Returns the lake-relative paths it removed.
 */
export async function sweepPartition(layout: LakeLayout, pipeline: string, partition: string, currentRunId: string): Promise<string[]> {
  const removed: string[] = [];
  const stagingDir = layout.partitionStagingDir(pipeline, partition);
  const keep = path.basename(layout.runStagingDir(pipeline, partition, currentRunId));
  for (const name of await layout.area.readdir(stagingDir)) {
    if (name === keep) continue;
    await layout.area.removeTree(path.join(stagingDir, name));
    removed.push(layout.relative(path.join(stagingDir, name)));
  }
  for (const file of await layout.area.sweepTempFiles(layout.manifestDir(pipeline, partition), TEMP_FILE_GRACE_MS)) removed.push(layout.relative(file));
  for (const key of await abortPartitionUploads(layout, pipeline, partition)) removed.push(`${key} (upload)`);
  return removed;
}

/**
 * Abort the uploads (S3's multipart uploads, invisible until completed) under a partition's published
 * file, reject bin and staging: what a worker killed mid-upload left. Called when no step of the
 * partition can be uploading (at the start of a run, and once its record is written; runs of a
 * partition never overlap), so any upload found is abandoned; a zombie's is refused anyway.
 * `initiatedBeforeMs`: only uploads begun before then (see removeRunStaging).
 */
export async function abortPartitionUploads(layout: LakeLayout, pipeline: string, partition: string, initiatedBeforeMs?: number): Promise<string[]> {
  const dirs = [path.dirname(layout.publishedFile(pipeline, partition)), path.dirname(layout.rejectsFile(pipeline, partition)), layout.partitionStagingDir(pipeline, partition)];
  return layout.area.abortAbandonedUploads(dirs, initiatedBeforeMs);
}

/** A worker's cached copy of a staged file unused this long is dropped (a later step fetches it again). */
export const STAGING_CACHE_IDLE_MS = 24 * 3600_000;

/**
 * Drop this process's cached copies of staged files unused for STAGING_CACHE_IDLE_MS (a lake in S3;
 * nothing in a folder lake, whose staging is the lake's own). A run removes its staging from the
 * bucket and from the cache of the worker that records it; copies on the workers that ran its
 * earlier steps stay until this prunes them. Returns the local paths removed.
 */
export function pruneStagingCache(layout: LakeLayout, idleMs = STAGING_CACHE_IDLE_MS): Promise<string[]> {
  return layout.area.pruneCache(layout.stagingDir(), idleMs);
}
