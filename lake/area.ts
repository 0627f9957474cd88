/**
 * A file area: the lake, or the landing zone, as the rest of Conveyor sees it. Paths are local paths
 * under `root`, laid out as docs/lake.md says; the area decides where the files really are:
 * - `FolderArea`: in the folder itself (the embedded default; every worker mounts it);
 * - `S3Area`: in an S3 bucket under a prefix (`CONVEYOR_LAKE_URL`, `CONVEYOR_LANDING_URL`), the key of
 *   a file being its path relative to `root`. `root` is then this process's local cache: files are
 *   fetched into it by ETag when read, and written there first, then uploaded (staging, published
 *   files). Nothing but the bucket is shared between workers.
 *
 * Nothing outside `lake/` knows which one runs: the readers and the steps call these methods.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { commitFile, fsyncPath, readVersion, readVersions, type CommitOutcome, type CommitRequest, type FileVersion } from './commit';
import type { DuckSession } from './duckdb';
import { ETAG_SUFFIX, FETCHES_AT_ONCE, mirrorPrefix, readEtag, removeCached, replaceCached, writeEtag } from './mirror';
import { commitObject, versionOfObject } from './object-commit';
import { FolderStore, PreconditionFailed, type StoredObject } from './object-store';
import type { S3Body, S3Store } from './s3-store';

/** What a staged file is a copy of: a file of an area, as fetched (its cached ETag, read before the copy was made and checked after). */
export interface CopyOf {
  area: FileArea;
  file: string;
  etag: string | undefined;
}

export interface FileArea {
  /** The local folder paths are under (the area itself, or its local cache). */
  readonly root: string;
  /** Where the area is, for messages (a folder, or `s3://bucket/prefix`); never a secret. */
  readonly url: string;
  /** Where a path really is, for messages: the path itself, or its `s3://` URL. */
  shown(file: string): string;
  /** Check the area answers and takes writes, before a process takes work; throws one line. */
  check(): Promise<void>;
  /** Names directly under `dir` (files and folders), [] when there is none. */
  readdir(dir: string): Promise<string[]>;
  /** The files directly under `dir` with their sizes (one listing; empty when there is no folder). */
  files(dir: string): Promise<Map<string, number>>;
  /** The folders directly under `dir` that hold a file named `name` (among those `wanted` accepts). */
  foldersHolding(dir: string, name: string, wanted?: (folder: string) => boolean): Promise<string[]>;
  /** The file's size, or undefined when there is none. */
  size(file: string): Promise<number | undefined>;
  readText(file: string): Promise<string | undefined>;
  /**
   * A local path holding the file's content (cached by ETag on S3), or undefined when there is none.
   * `immutable`: the file is never rewritten (a staged file, named for its attempt), so a cached copy
   * is used as it is, with no request.
   */
  fetch(file: string, options?: { immutable?: boolean }): Promise<string | undefined>;
  /** Drop this process's cached copy of `file` (S3; a folder's files are the area itself). */
  forget(file: string): Promise<void>;
  /** The ETag of this process's cached copy of `file` (S3), for `share`'s `copyOf`. */
  cachedVersion(file: string): Promise<string | undefined>;
  /** Write `text` at `file` once: false when a file is there already (it is kept). */
  writeOnce(file: string, text: string): Promise<boolean>;
  /** Replace `file` whole with `text` (a reader sees the old or the new content). */
  writeText(file: string, text: string): Promise<void>;
  /**
   * Make a file written locally at its place visible to every process (a staged file between steps).
   * `copyOf`: the file is a copy of that file of an area, as fetched: in S3, copied server-side when
   * both are on one store and the source is still the version fetched (no bytes through this process).
   */
  share(file: string, copyOf?: CopyOf): Promise<void>;
  /**
   * Make the area's folder `dir` hold what the local folder `dir` holds (a landing zone in S3: files
   * generated or dropped locally, uploaded). `last` (a readiness marker) is removed first and written
   * last, so a reader never takes a half-written folder for a complete one.
   */
  pushFolder(dir: string, last?: string): Promise<void>;
  /** Remove `dir` and everything under it. */
  removeTree(dir: string): Promise<void>;
  /** Bring the local copies under `dirs` up to date, for readers that read the local folder (DuckDB's globs). */
  sync(dirs: string[]): Promise<void>;
  /** The commit rule (lake/commit.ts): make the local `staged` file the one at `target` if its version is newer. */
  commit(db: DuckSession, request: CommitRequest): Promise<CommitOutcome>;
  /** The version stamped on the file at `file` (see lake/commit.ts readVersion). */
  versionOf(db: DuckSession, file: string): Promise<FileVersion | undefined | 'unreadable'>;
  /** The versions of many files at once (missing ones left out): no file's contents are read. */
  versionsOf(db: DuckSession, files: readonly string[]): Promise<Map<string, FileVersion | 'unreadable'>>;
  /**
   * Abort the uploads under any of `dirs` a killed writer left (S3; one listing), only those begun
   * before `initiatedBeforeMs` (epoch ms) when given; their keys.
   */
  abortAbandonedUploads(dirs: string[], initiatedBeforeMs?: number): Promise<string[]>;
  /** Remove the temp files a writer that died left under `dir` (a folder's; S3 writes leave none), older than `graceMs`. */
  sweepTempFiles(dir: string, graceMs: number): Promise<string[]>;
  /**
   * Remove this process's cached copies under `dir` unused for `idleMs` (S3: the local cache, which a
   * later fetch fills again; a folder has none: its files are the area, and nothing is removed).
   * Returns the local paths removed.
   */
  pruneCache(dir: string, idleMs: number): Promise<string[]>;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

/** The area is a folder: the files are where their paths say. */
export class FolderArea implements FileArea {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }
  get url(): string {
    return this.root;
  }
  shown(file: string): string {
    return file;
  }
  async check(): Promise<void> {
    const probe = path.join(this.root, `.probe-${process.pid}`);
    await fs.promises.mkdir(this.root, { recursive: true });
    await fs.promises.writeFile(probe, '');
    await fs.promises.rm(probe, { force: true });
  }
  readdir(dir: string): Promise<string[]> {
    return readdirOrEmpty(dir);
  }
  async files(dir: string): Promise<Map<string, number>> {
    const files = new Map<string, number>();
    for (const name of await readdirOrEmpty(dir)) {
      const stat = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
      if (stat?.isFile()) files.set(name, stat.size);
    }
    return files;
  }
  async foldersHolding(dir: string, name: string, wanted: (folder: string) => boolean = () => true): Promise<string[]> {
    return (await readdirOrEmpty(dir)).filter((sub) => wanted(sub) && fs.existsSync(path.join(dir, sub, name)));
  }
  async size(file: string): Promise<number | undefined> {
    return fs.statSync(file, { throwIfNoEntry: false })?.size;
  }
  async readText(file: string): Promise<string | undefined> {
    try {
      return await fs.promises.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  async fetch(file: string): Promise<string | undefined> {
    return fs.existsSync(file) ? file : undefined;
  }
  async forget(): Promise<void> {
    // The files are the area itself.
  }
  async cachedVersion(): Promise<string | undefined> {
    return undefined;
  }
  async writeOnce(file: string, text: string): Promise<boolean> {
    // FolderStore's create: written and flushed beside, then linked in (fails if the name exists).
    try {
      await new FolderStore(path.dirname(file)).create(path.basename(file), text);
      return true;
    } catch (err) {
      if (err instanceof PreconditionFailed) return false;
      throw err;
    }
  }
  async writeText(file: string, text: string): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
    await fs.promises.writeFile(temp, text);
    await fsyncPath(temp);
    await fs.promises.rename(temp, file);
    await fsyncPath(path.dirname(file));
  }
  async share(): Promise<void> {
    // Every process reads the same folder.
  }
  async pushFolder(): Promise<void> {
    // The files are in place already.
  }
  async removeTree(dir: string): Promise<void> {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  async sync(): Promise<void> {
    // Readers read the folder itself.
  }
  commit(db: DuckSession, request: CommitRequest): Promise<CommitOutcome> {
    return commitFile(db, request);
  }
  versionOf(db: DuckSession, file: string): Promise<FileVersion | undefined | 'unreadable'> {
    return readVersion(db, file);
  }
  versionsOf(db: DuckSession, files: readonly string[]): Promise<Map<string, FileVersion | 'unreadable'>> {
    return readVersions(db, files);
  }
  async abortAbandonedUploads(): Promise<string[]> {
    return [];
  }
  async pruneCache(): Promise<string[]> {
    return []; // the files are the area itself
  }
  async sweepTempFiles(dir: string, graceMs: number): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdirOrEmpty(dir)) {
      if (!name.endsWith('.tmp')) continue;
      const file = path.join(dir, name);
      const age = await fs.promises.stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > graceMs) {
        await fs.promises.rm(file, { force: true });
        removed.push(file);
      }
    }
    return removed;
  }
}

/**
 * The area is an S3 bucket prefix; `root` is this process's local cache of it (same layout). A file
 * fetched is kept with its ETag beside it (`<file>.etag`, as lake/mirror.ts keeps them), so reading
 * it again costs a HEAD, not a download.
 */
export class S3Area implements FileArea {
  readonly root: string;
  private store?: Promise<S3Store>;
  constructor(
    readonly url: string,
    root: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.root = path.resolve(root);
  }

  /** The store, loaded on first use: a folder lake never loads the AWS SDK (~60 ms, 20 MB). */
  private s3(): Promise<S3Store> {
    // require, not import(): workers run the sources through tsx's CommonJS hook only (workers/node-flags.ts).
    this.store ??= Promise.resolve().then(() => (require('./s3-store') as typeof import('./s3-store')).S3Store.fromEnv(this.url, this.env));
    return this.store;
  }

  /** The key of a path under root ('' for root itself). */
  private key(file: string): string {
    const relative = path.relative(this.root, path.resolve(file));
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`${file} is not in ${this.root}`);
    return relative.split(path.sep).filter(Boolean).join('/');
  }

  shown(file: string): string {
    const key = this.key(file);
    return key ? `${this.url}/${key}` : this.url;
  }
  async check(): Promise<void> {
    await fs.promises.mkdir(this.root, { recursive: true });
    await (await this.s3()).check();
  }
  async readdir(dir: string): Promise<string[]> {
    const { files, folders } = await (await this.s3()).children(this.key(dir));
    return [...folders, ...files.keys()];
  }
  async files(dir: string): Promise<Map<string, number>> {
    return (await (await this.s3()).children(this.key(dir))).files;
  }
  async foldersHolding(dir: string, name: string, wanted: (folder: string) => boolean = () => true): Promise<string[]> {
    const prefix = `${this.key(dir)}/`;
    const folders: string[] = [];
    for await (const object of (await this.s3()).list(prefix)) {
      const rest = object.key.slice(prefix.length).split('/');
      if (rest.length === 2 && rest[1] === name && wanted(rest[0]!)) folders.push(rest[0]!);
    }
    return folders;
  }
  async size(file: string): Promise<number | undefined> {
    return (await (await this.s3()).head(this.key(file)))?.size;
  }
  async readText(file: string): Promise<string | undefined> {
    return (await (await this.s3()).get(this.key(file)))?.body.toString('utf8');
  }
  async fetch(file: string, options: { immutable?: boolean } = {}): Promise<string | undefined> {
    // One fetch of a path at a time in this process: two refreshing the same cached file at once
    // could leave one's file beside the other's ETag.
    return this.oneAtATime(file, () => this.fetchNow(file, options));
  }
  private async fetchNow(file: string, options: { immutable?: boolean }): Promise<string | undefined> {
    const store = await this.s3();
    const key = this.key(file);
    // A copy in the cache costs a HEAD to check (and nothing more while it is current); none, a GET.
    const cached = await readEtag(file);
    if (cached !== undefined && fs.existsSync(file)) {
      if (options.immutable) return used(file);
      const head = await store.head(key);
      if (!head) return undefined;
      if (head.etag === cached) return used(file);
    }
    // The download makes the file's folder and puts the file in place whole.
    const etag = await replaceCached(file, async () => (await store.download(key, file))?.etag);
    return etag === undefined ? undefined : file;
  }
  private readonly busy = new Map<string, Promise<unknown>>();
  private async oneAtATime<T>(file: string, fn: () => Promise<T>): Promise<T> {
    const before = this.busy.get(file) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const settled = mine.catch(() => undefined);
    this.busy.set(file, settled);
    try {
      return await mine;
    } finally {
      if (this.busy.get(file) === settled) this.busy.delete(file);
    }
  }
  async forget(file: string): Promise<void> {
    await this.oneAtATime(file, () => removeCached(file));
  }
  async writeOnce(file: string, text: string): Promise<boolean> {
    return (await this.createConfirmed(this.key(file), text)) !== undefined;
  }
  async writeText(file: string, text: string): Promise<void> {
    const store = await this.s3();
    const key = this.key(file);
    const current = await store.head(key);
    // One writer per file (the pipeline's monitor); the condition still keeps two from interleaving.
    if (current) await store.replace(key, text, current.etag);
    else await store.create(key, text);
  }
  async cachedVersion(file: string): Promise<string | undefined> {
    return readEtag(file);
  }
  async share(file: string, copyOf?: CopyOf): Promise<void> {
    if (copyOf?.area instanceof S3Area && copyOf.etag !== undefined && (await this.copyWithin(file, copyOf.area, copyOf.file, copyOf.etag))) return;
    const object = await this.createConfirmed(this.key(file), { file });
    if (object) await writeEtag(file, object.etag);
  }
  /**
   * Create an object; undefined when one is there already (a retried write of a name unique to one
   * attempt or run). A refusal is confirmed with a HEAD: a 409 (a concurrent conditional write, such
   * as the SDK's own first try still in flight) is not taken for an object that may never appear.
   */
  private async createConfirmed(key: string, body: S3Body): Promise<StoredObject | undefined> {
    const store = await this.s3();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await store.create(key, body);
      } catch (err) {
        if (!(err instanceof PreconditionFailed)) throw err;
        if (await store.head(key)) return undefined;
        if (attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }
  /** A server-side copy of `source`'s `sourceFile` (the version this process fetched) to `file`: false when it cannot be done. */
  private async copyWithin(file: string, source: S3Area, sourceFile: string, etag: string): Promise<boolean> {
    const [store, from] = [await this.s3(), await source.s3()];
    // The cached copy was refreshed since the snapshot read it: upload what was read instead.
    if (!store.sameStoreAs(from) || (await readEtag(sourceFile)) !== etag) return false;
    try {
      const object = await store.copyFrom(from, source.key(sourceFile), etag, this.key(file));
      await writeEtag(file, object.etag);
      return true;
    } catch (err) {
      if (err instanceof PreconditionFailed) return false; // re-dropped since it was fetched: upload what was read
      throw err;
    }
  }
  async pushFolder(dir: string, last?: string): Promise<void> {
    const store = await this.s3();
    const prefix = this.key(dir);
    const local = new Set(fs.readdirSync(dir).filter((name) => !name.endsWith(ETAG_SUFFIX) && fs.statSync(path.join(dir, name)).isFile()));
    if (last !== undefined) await store.delete(`${prefix}/${last}`);
    const put = async (name: string) => {
      const key = `${prefix}/${name}`;
      const current = await store.head(key);
      const object = current ? await store.replace(key, { file: path.join(dir, name) }, current.etag) : await store.create(key, { file: path.join(dir, name) });
      await writeEtag(path.join(dir, name), object.etag);
    };
    for (const name of [...local].filter((n) => n !== last).sort()) await put(name);
    const gone = [...(await store.children(prefix)).files.keys()].filter((name) => !local.has(name));
    if (gone.length > 0) await store.deleteMany(gone.map((name) => `${prefix}/${name}`));
    if (last !== undefined && local.has(last)) await put(last);
  }
  async removeTree(dir: string): Promise<void> {
    const store = await this.s3();
    const top = this.key(dir);
    const keys: string[] = [];
    const folders = new Set<string>([top]);
    for await (const object of store.list(`${top}/`)) {
      keys.push(object.key);
      for (let folder = path.posix.dirname(object.key); folder.length > top.length; folder = path.posix.dirname(folder)) folders.add(folder);
    }
    // One request; the folders deepest first, for a store that keeps emptied folders (SeaweedFS).
    await store.deleteMany(keys, [...folders].sort((a, b) => b.length - a.length));
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  async sync(dirs: string[]): Promise<void> {
    const store = await this.s3();
    for (const dir of dirs) await mirrorPrefix(store, `${this.key(dir)}/`, this.root);
  }
  async commit(_db: DuckSession, request: CommitRequest): Promise<CommitOutcome> {
    const outcome = await commitObject(await this.s3(), {
      key: this.key(request.target),
      body: { file: request.staged },
      version: request.version,
      ...(request.onUnreadable ? { onUnreadable: () => request.onUnreadable!(request.target) } : {}),
    });
    await fs.promises.rm(request.staged, { force: true });
    return outcome;
  }
  async versionOf(_db: DuckSession, file: string): Promise<FileVersion | undefined | 'unreadable'> {
    const head = await (await this.s3()).head(this.key(file));
    return head ? versionOfObject(head) : undefined;
  }
  async versionsOf(db: DuckSession, files: readonly string[]): Promise<Map<string, FileVersion | 'unreadable'>> {
    // A HEAD each (the version is in the object's metadata), a few at a time.
    const versions = await mapConcurrently(files, FETCHES_AT_ONCE, async (file) => [file, await this.versionOf(db, file)] as const);
    return new Map(versions.filter((v): v is readonly [string, FileVersion | 'unreadable'] => v[1] !== undefined));
  }
  async abortAbandonedUploads(dirs: string[], initiatedBeforeMs = Number.POSITIVE_INFINITY): Promise<string[]> {
    const prefixes = dirs.map((dir) => `${this.key(dir)}/`);
    // One listing of the area's uploads in progress (a few per running step at most), filtered here.
    return (await this.s3()).abortAbandonedUploads('', initiatedBeforeMs, (key) => prefixes.some((p) => key.startsWith(p)));
  }
  async sweepTempFiles(): Promise<string[]> {
    return []; // an S3 write is all or nothing
  }
  async pruneCache(dir: string, idleMs: number): Promise<string[]> {
    this.key(dir); // only inside the cache root
    const before = Date.now() - idleMs;
    const idle = (file: string) => fs.promises.stat(file).then((s) => s.mtimeMs < before, () => false);
    const removed: string[] = [];
    const prune = async (folder: string): Promise<void> => {
      for (const entry of await fs.promises.readdir(folder, { withFileTypes: true }).catch(() => [])) {
        const at = path.join(folder, entry.name);
        if (entry.isDirectory()) {
          // Removed once empty if nothing had been added to it for as long: a folder made a moment ago (a
          // fetch about to write into it) is spared.
          const wasIdle = await idle(at);
          await prune(at);
          if (wasIdle) await fs.promises.rmdir(at).catch(() => undefined);
        } else if (!entry.name.endsWith(ETAG_SUFFIX) && (await idle(at))) {
          // Checked again under the path's lock: a fetch that just handed the file out marked it used.
          const pruned = await this.oneAtATime(at, async () => {
            if (!(await idle(at))) return false;
            await removeCached(at);
            return true;
          });
          if (pruned) removed.push(at);
        }
      }
      // An ETag whose file is gone (a crash between the two removals) goes too.
      const left = new Set(await fs.promises.readdir(folder).catch(() => []));
      for (const name of left) if (name.endsWith(ETAG_SUFFIX) && !left.has(name.slice(0, -ETAG_SUFFIX.length))) await fs.promises.rm(path.join(folder, name), { force: true });
    };
    await prune(dir);
    return removed;
  }
}


/**
 * `fn` of each item, `atOnce` at a time, results in the items' order: reads of many small files from
 * S3 are bound by round trips, so they overlap (on a folder it costs nothing).
 */
export async function mapConcurrently<T, R>(items: readonly T[], atOnce: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += atOnce) results.push(...(await Promise.all(items.slice(i, i + atOnce).map(fn))));
  return results;
}

/** The area at `url` (s3://…) cached under `cacheDir`, or the folder `dir`. */
export function fileArea(options: { url?: string; dir: string; env?: NodeJS.ProcessEnv }): FileArea {
  return options.url ? new S3Area(options.url, options.dir, options.env) : new FolderArea(options.dir);
}

/** Mark a cached copy as just used (its mtime), so pruning the cache spares what is being read. */
async function used(file: string): Promise<string> {
  const now = new Date();
  await fs.promises.utimes(file, now, now).catch(() => undefined);
  return file;
}
