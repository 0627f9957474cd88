/**
 * The commit rule: how a file becomes part of the lake (docs/lake.md, "Commits").
 *
 * A partition's file (`data.parquet` in showroom or in the reject bin) is only ever replaced whole, by
 * renaming a finished file over it: a reader opens the old file or the new one, never half of either.
 * Each file carries its version in its Parquet key-value metadata: the Temporal server's time at
 * which the step attempt that wrote it was scheduled, with that attempt's run id. Attempts of one step
 * are scheduled one after another, and runs of one partition never overlap (one workflow ID per
 * partition), so a later attempt always has a later time. Under the partition's commit lock, a file
 * replaces the current one only if its version is newer: a zombie attempt (one that outlived its
 * timeout on a lost worker) finds a newer file in place and is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sqlString, type DuckSession } from './duckdb';

/** Who wrote a file: the step attempt's schedule time on the server, run and attempt. */
export interface FileVersion {
  scheduledMs: number;
  runId: string;
  workflowId: string;
  attempt: number;
}

const KEYS = {
  scheduledMs: 'conveyor_scheduled_ms',
  runId: 'conveyor_run_id',
  workflowId: 'conveyor_workflow_id',
  attempt: 'conveyor_attempt',
} as const;

/** The `KV_METADATA {...}` option of a `COPY ... TO '...' (FORMAT parquet, ...)` that stamps `version`. */
export function versionMetadataOption(version: FileVersion): string {
  const entries = Object.entries(KEYS).map(([field, key]) => `${key}: ${sqlString(String(version[field as keyof FileVersion]))}`);
  return `KV_METADATA {${entries.join(', ')}}`;
}

/** The version stamped in a Parquet file; undefined if the file is missing, 'unreadable' if it is not valid Parquet. */
export async function readVersion(db: DuckSession, file: string): Promise<FileVersion | undefined | 'unreadable'> {
  if (!fs.existsSync(file)) return undefined;
  let rows: { key: string; value: string }[];
  try {
    rows = await db.query<{ key: string; value: string }>(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${sqlString(file)})`,
    );
  } catch {
    return 'unreadable';
  }
  const kv = new Map(rows.map((r) => [r.key, r.value]));
  const scheduledMs = Number(kv.get(KEYS.scheduledMs));
  const runId = kv.get(KEYS.runId);
  if (!Number.isFinite(scheduledMs) || !runId) return 'unreadable';
  return { scheduledMs, runId, workflowId: kv.get(KEYS.workflowId) ?? '', attempt: Number(kv.get(KEYS.attempt) ?? 0) };
}

/** True when `a` was written by a later attempt than `b`. */
export function isNewer(a: FileVersion, b: FileVersion): boolean {
  return a.scheduledMs > b.scheduledMs;
}

/** A commit refused because the lake already holds a newer version of the file. */
export class StaleCommit extends Error {
  override name = 'StaleCommit';
}

export type CommitOutcome = 'committed' | 'already-committed';

export interface CommitRequest {
  /** A finished file on the same filesystem (the run's staging folder), stamped with `version`. */
  staged: string;
  target: string;
  version: FileVersion;
  /** Called when the file in place could not be read as Parquet and is replaced. */
  onUnreadable?: (target: string) => void;
}

/**
 * Make `staged` the file at `target`, atomically, if and only if its version is newer than the one in
 * place (or nothing readable is in place). The same version committed twice (a retried step) is a no-op.
 */
export async function commitFile(db: DuckSession, request: CommitRequest): Promise<CommitOutcome> {
  const { staged, target, version } = request;
  const dir = path.dirname(target);
  await fs.promises.mkdir(dir, { recursive: true });
  return withCommitLock(dir, async () => {
    const current = await readVersion(db, target);
    if (current === 'unreadable') request.onUnreadable?.(target);
    else if (current && current.runId === version.runId && current.scheduledMs === version.scheduledMs) {
      await fs.promises.rm(staged, { force: true });
      return 'already-committed';
    } else if (current && !isNewer(version, current)) {
      await fs.promises.rm(staged, { force: true });
      throw new StaleCommit(
        `refused to replace ${target}: it holds a newer version (run ${current.runId}, attempt ${current.attempt}, ` +
          `scheduled ${new Date(current.scheduledMs).toISOString()}) than this attempt's (run ${version.runId}, ` +
          `attempt ${version.attempt}, scheduled ${new Date(version.scheduledMs).toISOString()})`,
      );
    }
    await fsyncPath(staged);
    await fs.promises.rename(staged, target);
    await fsyncPath(dir);
    return 'committed';
  });
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await fs.promises.open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const COMMIT_LOCK = '.commit.lock';
/** A lock older than this, taken on another host, is from a crashed committer (a commit holds it for milliseconds). */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 30_000;

interface LockOwner {
  host: string;
  pid: number;
}

/**
 * Whether a lock can be broken. On this host, only when its process is gone: a process that is alive
 * (even one frozen mid-commit) keeps it, so it can never rename after someone else committed. On
 * another host, by age.
 */
async function isStale(lock: string): Promise<boolean> {
  const [content, stat] = await Promise.all([fs.promises.readFile(lock, 'utf8'), fs.promises.stat(lock)]).catch(() => [undefined, undefined]);
  if (content === undefined || stat === undefined) return false; // just released: try again
  const owner = JSON.parse(content || '{}') as Partial<LockOwner>;
  if (owner.host === os.hostname() && typeof owner.pid === 'number') {
    try {
      process.kill(owner.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return Date.now() - stat.mtimeMs > STALE_LOCK_MS;
}

/** Hold the folder's commit lock (a file created exclusively) while `fn` runs. */
async function withCommitLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, COMMIT_LOCK);
  const owner: LockOwner = { host: os.hostname(), pid: process.pid };
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fs.promises.writeFile(lock, JSON.stringify(owner), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(lock).catch(() => false)) {
        await fs.promises.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        const holder = await fs.promises.readFile(lock, 'utf8').catch(() => '?');
        throw Object.assign(new Error(`commit lock ${lock} held for over ${LOCK_WAIT_MS / 1000}s by ${holder}`), { code: 'EBUSY' });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.promises.rm(lock, { force: true });
  }
}
