/**
 * Where the lake's objects live: a folder, or an S3 bucket (issue 22). One interface, two
 * implementations; the commit rule is stated in its terms, so it holds on both without a lock file on
 * S3:
 * - `create`: write an object only if none is at its key (S3: `If-None-Match: *`), else
 *   PreconditionFailed: records written once (run manifests, overrides) can never be overwritten;
 * - `replace`: write an object only if the one at its key is still the one read (its ETag; S3:
 *   `If-Match`), else PreconditionFailed: a zombie step that read before a newer publish cannot
 *   overwrite it.
 * Listings page through any number of keys (an S3 list returns at most 1,000 at a time).
 *
 * The S3 implementation is lake/s3-store.ts (apart, so a folder lake never loads the AWS SDK).
 *
 * What an S3 store must offer: conditional writes (`If-None-Match: *` and `If-Match` on PUT, 412 when
 * they fail) and strong read-after-write and list-after-write consistency. AWS S3, SeaweedFS, Cloudflare
 * R2 and recent MinIO do.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { COMMIT_LOCK, fsyncPath, withCommitLock } from './commit';
import { Unavailable } from '../common/errors';
import { checkKey, parseS3Url } from '../common/object-keys';

export { checkKey, parseS3Url };

export interface StoredObject {
  key: string;
  size: number;
  etag: string;
  /** User metadata (S3's `x-amz-meta-*`), where the store keeps it (S3Store's head and get). */
  metadata?: Record<string, string>;
}

/** A conditional write refused: the object exists already (create), or changed since it was read (replace). */
export class PreconditionFailed extends Error {
  override name = 'PreconditionFailed';
}

/** The store refused or could not be reached: one line naming the store and what to check, never a secret. */
export class ObjectStoreUnavailable extends Unavailable {
  override name = 'ObjectStoreUnavailable';
}

export interface ObjectStore {
  /** Where it is, for messages (`file:///…` or `s3://bucket/prefix`); never a secret. */
  readonly url: string;
  head(key: string): Promise<StoredObject | undefined>;
  get(key: string): Promise<{ body: Buffer; object: StoredObject } | undefined>;
  /** Write `body` at `key` only if nothing is there. */
  create(key: string, body: Buffer | string): Promise<StoredObject>;
  /**
   * Write `body` at `key` only if the object there still has `etag`. (With no object there at all, AWS
   * S3 and the folder refuse, but SeaweedFS 4.53 writes it: callers replace only what they read, and a
   * published object is never deleted, so the lake does not depend on that case.)
   */
  replace(key: string, body: Buffer | string, etag: string): Promise<StoredObject>;
  /** Every object whose key starts with `prefix`, in key order, page by page. */
  list(prefix: string): AsyncIterable<StoredObject>;
  delete(key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// A folder

/**
 * Objects as files under a root folder. A write goes to a temp file first; `create` links it in
 * (link fails if the name exists, atomically); `replace` renames it over the old file under the
 * folder's commit lock (lake/commit.ts, whose holder's liveness is checked, not only its age), after
 * checking the ETag (size, modification time and inode of the file read).
 */
export class FolderStore implements ObjectStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get url(): string {
    return `file://${this.root}`;
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  private static etagOf(stat: fs.BigIntStats): string {
    return `"${stat.size}-${stat.mtimeNs}-${stat.ino}"`;
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const stat = await fs.promises.stat(this.file(key), { bigint: true });
      return stat.isFile() ? { key, size: Number(stat.size), etag: FolderStore.etagOf(stat) } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<{ body: Buffer; object: StoredObject } | undefined> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.file(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      // The ETag of the very file read (a rename over it meanwhile does not change what this handle reads).
      const stat = await handle.stat({ bigint: true });
      const body = await handle.readFile();
      return { body, object: { key, size: body.length, etag: FolderStore.etagOf(stat) } };
    } finally {
      await handle.close();
    }
  }

  private async writeTemp(key: string, body: Buffer | string): Promise<string> {
    const target = this.file(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    // Hidden and ending in .tmp: readers skip it, and the janitor removes one a dead writer left.
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
    const handle = await fs.promises.open(temp, 'wx');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  async create(key: string, body: Buffer | string): Promise<StoredObject> {
    const temp = await this.writeTemp(key, body);
    try {
      await fs.promises.link(temp, this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailed(`${this.url}/${key} exists already`);
      throw err;
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
    await fsyncPath(path.dirname(this.file(key)));
    return (await this.head(key))!;
  }

  async replace(key: string, body: Buffer | string, etag: string): Promise<StoredObject> {
    const target = this.file(key);
    const temp = await this.writeTemp(key, body);
    try {
      await withCommitLock(path.dirname(target), async () => {
        const current = await this.head(key);
        if (current?.etag !== etag) throw new PreconditionFailed(`${this.url}/${key} changed since it was read`);
        await fs.promises.rename(temp, target);
      });
      await fsyncPath(path.dirname(target));
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
    return (await this.head(key))!;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const keys = (await keysOfFilesUnder(this.root, prefix)).filter((key) => !isTempOrLock(key));
    for (const key of keys.sort()) {
      const object = await this.head(key);
      if (object) yield object;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.file(key), { force: true });
  }
}

/**
 * The keys (`/`-separated paths relative to `root`) of every file under `root` whose key starts with
 * `prefix`: only the folders the prefix can reach are read.
 */
export async function keysOfFilesUnder(root: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(path.join(root, ...relative.split('/').filter(Boolean)), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      const key = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        keys.push(key);
      }
    }
  };
  const slash = prefix.lastIndexOf('/');
  await walk(slash < 0 ? '' : prefix.slice(0, slash));
  return keys;
}

/** A writer's temp file (`.<name>.<uuid>.tmp`) or a folder's lock: not objects. */
const isTempOrLock = (key: string) => /(^|\/)\.[^/]+\.[0-9a-f-]{36}\.tmp$/.test(key) || key === COMMIT_LOCK || key.endsWith(`/${COMMIT_LOCK}`);

