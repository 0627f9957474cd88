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
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sqlString } from '../common/sql';
import type { DuckSession } from './duckdb';

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

/** DuckDB's errors for a file that is not Parquet (truncated, garbage, a broken footer), as opposed to a failed read. */
const NOT_PARQUET = /^Invalid (Input )?Error/;

/**
 * The version stamped in a Parquet file; undefined if there is no file, 'unreadable' if it is not
 * valid Parquet. Any other failure to read (an I/O error, too many open files, a stale NFS handle)
 * is thrown, never taken for "no version": the commit rule must not be skipped on a passing error.
 */
export async function readVersion(db: DuckSession, file: string): Promise<FileVersion | undefined | 'unreadable'> {
  if (!(await isThere(file))) return undefined;
  let rows: { key: string; value: string }[];
  try {
    rows = await db.query<{ key: string; value: string }>(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${sqlString(file)})`,
    );
  } catch (err) {
    if (err instanceof Error && NOT_PARQUET.test(err.message)) return 'unreadable';
    throw err;
  }
  return versionOfKv(new Map(rows.map((r) => [r.key, r.value])));
}

/**
 * The versions of many files in one read of their footers (a status page's partitions): missing files
 * are left out. As {@link readVersion}, any failure other than a file that is not Parquet is thrown.
 */
export async function readVersions(db: DuckSession, files: readonly string[]): Promise<Map<string, FileVersion | 'unreadable'>> {
  const there = await Promise.all(files.map(isThere));
  const present = files.filter((_, i) => there[i]);
  const versions = new Map<string, FileVersion | 'unreadable'>();
  if (present.length === 0) return versions;
  let rows: { file_name: string; key: string; value: string }[];
  try {
    rows = await db.query<{ file_name: string; key: string; value: string }>(
      `SELECT file_name, decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata([${present.map(sqlString).join(', ')}])`,
    );
  } catch (err) {
    if (!(err instanceof Error && NOT_PARQUET.test(err.message))) throw err;
    // One of them is not Parquet: each on its own, to tell which.
    for (const file of present) {
      const version = await readVersion(db, file);
      if (version !== undefined) versions.set(file, version);
    }
    return versions;
  }
  const kvs = new Map<string, Map<string, string>>(present.map((file) => [file, new Map()]));
  for (const r of rows) kvs.get(r.file_name)?.set(r.key, r.value);
  for (const [file, kv] of kvs) versions.set(file, versionOfKv(kv));
  return versions;
}

/** Whether a file is there: only a missing one is "no"; any other failure to look is thrown. */
async function isThere(file: string): Promise<boolean> {
  try {
    await fs.promises.stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function versionOfKv(kv: Map<string, string>): FileVersion | 'unreadable' {
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

/** The refusal of a commit whose version is not newer than the one in place, naming both. */
export function staleCommit(target: string, current: FileVersion, version: FileVersion): StaleCommit {
  return new StaleCommit(
    `refused to replace ${target}: it holds a newer version (run ${current.runId}, attempt ${current.attempt}, ` +
      `scheduled ${new Date(current.scheduledMs).toISOString()}) than this attempt's (run ${version.runId}, ` +
      `attempt ${version.attempt}, scheduled ${new Date(version.scheduledMs).toISOString()})`,
  );
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
  // Flushed before the lock is taken, so the lock is held for milliseconds whatever the disk.
  if (fs.existsSync(staged)) await fsyncPath(staged);
  return withCommitLock(dir, async () => {
    const current = await readVersion(db, target);
    if (current === 'unreadable') request.onUnreadable?.(target);
    else if (current && current.runId === version.runId && current.scheduledMs === version.scheduledMs) {
      await fs.promises.rm(staged, { force: true });
      return 'already-committed';
    } else if (current && !isNewer(version, current)) {
      await fs.promises.rm(staged, { force: true });
      throw staleCommit(target, current, version);
    }
    await fs.promises.rename(staged, target);
    await fsyncPath(dir);
    return 'committed';
  });
}

/** Flush a file or a folder to disk. */
export async function fsyncPath(p: string): Promise<void> {
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
  /** When the process started (Linux: clock ticks since boot), so a reused PID is not taken for the holder. */
  started: string;
  /** Unique to one acquisition: only its holder releases it, and a breaker checks it broke the lock it judged. */
  token: string;
}

/** Start time of a process on this host, or '' where /proc does not say. */
function processStart(pid: number): string {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count after its ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const thisProcess = { host: os.hostname(), pid: process.pid, started: processStart(process.pid) };

/**
 * Whether a lock's holder is gone. On this host: its process no longer exists, or its PID now belongs
 * to another process (a restarted container reuses PIDs). A living holder, even one frozen
 * mid-commit, keeps its lock, so it can never rename after someone else committed. On another host,
 * or when the lock cannot be read, by age.
 */
function isStale(owner: Partial<LockOwner> | undefined, ageMs: number): boolean {
  if (owner?.host !== thisProcess.host || typeof owner.pid !== 'number') return ageMs > STALE_LOCK_MS;
  if (owner.pid === thisProcess.pid) return owner.started !== thisProcess.started || owner.token === undefined;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const started = processStart(owner.pid);
  return started !== '' && owner.started !== '' && started !== owner.started;
}

async function readLock(file: string): Promise<{ owner: Partial<LockOwner> | undefined; ageMs: number } | undefined> {
  try {
    const [content, stat] = await Promise.all([fs.promises.readFile(file, 'utf8'), fs.promises.stat(file)]);
    let owner: Partial<LockOwner> | undefined;
    try {
      owner = JSON.parse(content) as Partial<LockOwner>;
    } catch {
      owner = undefined; // half-written by a holder that crashed while taking it: judged by age
    }
    return { owner, ageMs: Date.now() - stat.mtimeMs };
  } catch {
    return undefined; // released meanwhile
  }
}

/**
 * Break a stale lock: move it aside under a unique name (only one breaker can move a given lock), and
 * check it is the one that was judged stale. If a fresh lock was moved instead (someone broke and
 * re-took it in between), put it back.
 */
async function breakLock(lock: string, judged: Partial<LockOwner> | undefined, token: string): Promise<void> {
  const aside = `${lock}.broken-${token}`;
  try {
    await fs.promises.rename(lock, aside);
  } catch {
    return; // gone already
  }
  const moved = (await readLock(aside))?.owner;
  if (judged?.token !== undefined && moved?.token !== judged.token) {
    await fs.promises.link(aside, lock).catch(() => undefined);
  }
  await fs.promises.rm(aside, { force: true });
}

/** Hold the folder's commit lock (a file created exclusively) while `fn` runs. */
export async function withCommitLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, COMMIT_LOCK);
  const owner: LockOwner = { ...thisProcess, token: randomUUID() };
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fs.promises.writeFile(lock, JSON.stringify(owner), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = await readLock(lock);
      if (held && isStale(held.owner, held.ageMs)) {
        await breakLock(lock, held.owner, owner.token);
        continue;
      }
      if (Date.now() > deadline) {
        throw Object.assign(new Error(`commit lock ${lock} held for over ${LOCK_WAIT_MS / 1000}s by ${JSON.stringify(held?.owner ?? '?')}`), { code: 'EBUSY' });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await fn();
  } finally {
    // Released only by its holder: a lock broken meanwhile (its holder was judged dead) is not ours.
    if ((await readLock(lock))?.owner?.token === owner.token) await fs.promises.rm(lock, { force: true });
  }
}
