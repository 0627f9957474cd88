/**
 * Keeping the lake from growing without bound. A run removes its own staging folder when it ends
 * (recordRun); the janitor removes what crashed or terminated runs left: at the start of a partition's
 * run, every other run's staging folder of that partition (runs of a partition never overlap, so they
 * are all dead), and the temp files of manifests that were never linked in.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LakeLayout } from './layout';
import { readdirOrEmpty } from './runs';

/** Remove one run's staging folder, and the partition's staging folder once it is empty. */
export async function removeRunStaging(layout: LakeLayout, pipeline: string, partition: string, runId: string): Promise<void> {
  await fs.promises.rm(layout.runStagingDir(pipeline, partition, runId), { recursive: true, force: true });
  await fs.promises.rmdir(layout.partitionStagingDir(pipeline, partition)).catch(() => undefined);
}

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
  for (const name of await readdirOrEmpty(stagingDir)) {
    if (name === keep) continue;
    await fs.promises.rm(path.join(stagingDir, name), { recursive: true, force: true });
    removed.push(layout.relative(path.join(stagingDir, name)));
  }
  const manifestDir = layout.manifestDir(pipeline, partition);
  for (const name of await readdirOrEmpty(manifestDir)) {
    if (!name.endsWith('.tmp')) continue;
    const file = path.join(manifestDir, name);
    const age = await fs.promises.stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > TEMP_FILE_GRACE_MS) {
      await fs.promises.rm(file, { force: true });
      removed.push(layout.relative(file));
    }
  }
  return removed;
}
