/**
 * The commit rule (lake/commit.ts, docs/lake.md "Commits") on an S3 bucket, without a lock: a file
 * replaces the partition's object only if its version is newer than the one in place, and the write
 * is conditional on the object read (`If-Match: <ETag>`, or `If-None-Match: *` when there was none).
 *
 * So a zombie step (a lost worker's attempt that outlived its timeout) cannot overwrite a newer
 * publish, whichever order things happen in:
 * - it reads after the newer publish: the version rule refuses it before it writes (StaleCommit);
 * - it read before the newer publish: its conditional write fails (412), it reads again, and the
 *   version rule refuses it then.
 * The version travels in the object's user metadata, so it is read with a HEAD, not a download (the
 * Parquet file carries it too, for readers).
 */
import { isNewer, staleCommit, type CommitOutcome, type FileVersion } from './commit';
import { PreconditionFailed, type StoredObject } from './object-store';
import type { S3Body, S3Store } from './s3-store';

const META = {
  scheduledMs: 'conveyor-scheduled-ms',
  runId: 'conveyor-run-id',
  workflowId: 'conveyor-workflow-id',
  attempt: 'conveyor-attempt',
} as const;

export function versionMetadata(version: FileVersion): Record<string, string> {
  return Object.fromEntries(Object.entries(META).map(([field, key]) => [key, String(version[field as keyof FileVersion])]));
}

/** The version an object carries; 'unreadable' for an object without one (written by something else). */
export function versionOfObject(object: StoredObject): FileVersion | 'unreadable' {
  const m = object.metadata ?? {};
  const scheduledMs = Number(m[META.scheduledMs]);
  const runId = m[META.runId];
  if (!Number.isFinite(scheduledMs) || !runId) return 'unreadable';
  return { scheduledMs, runId, workflowId: m[META.workflowId] ?? '', attempt: Number(m[META.attempt] ?? 0) };
}

/** How many times a commit reads again after a conditional write lost a race, before giving up. */
const MAX_RACES = 20;

/**
 * Make `body` the object at `key` if and only if `version` is newer than the version in place (or
 * nothing with a version is in place). The same version committed twice (a retried step) is a no-op.
 */
export async function commitObject(store: S3Store, request: { key: string; body: S3Body; version: FileVersion; onUnreadable?: (key: string) => void }): Promise<CommitOutcome> {
  const { key, body, version } = request;
  const metadata = versionMetadata(version);
  for (let race = 0; race < MAX_RACES; race += 1) {
    const current = await store.head(key);
    try {
      if (!current) {
        await store.create(key, body, metadata);
        return 'committed';
      }
      const inPlace = versionOfObject(current);
      if (inPlace === 'unreadable') request.onUnreadable?.(key);
      else if (inPlace.runId === version.runId && inPlace.scheduledMs === version.scheduledMs) return 'already-committed';
      else if (!isNewer(version, inPlace)) {
        throw staleCommit(`${store.url}/${key}`, inPlace, version);
      }
      await store.replace(key, body, current.etag, metadata);
      return 'committed';
    } catch (err) {
      // Someone committed between the read and the write: read again and judge again.
      if (err instanceof PreconditionFailed) continue;
      throw err;
    }
  }
  throw new Error(`could not commit ${store.url}/${key}: the object changed under ${MAX_RACES} attempts in a row`);
}
