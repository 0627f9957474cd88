/**
 * A local mirror of part of an object store, kept by ETag: how a reader with no S3 support of its own
 * (DuckDB without `httpfs`, which downloads at run time and so cannot be used offline) reads a lake in
 * a bucket. The mirror has the lake's own layout, so the folder lake's readers read it unchanged.
 *
 * `mirrorPrefix` lists the prefix (every page), fetches each object whose ETag differs from the
 * mirror's copy, and removes mirrored files whose objects are gone. Each file is replaced by a rename,
 * with its ETag beside it (`<file>.etag`), so a reader of the mirror sees a whole object, old or new.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { keysOfFilesUnder, type ObjectStore, type StoredObject } from './object-store';

export interface MirrorResult {
  fetched: number;
  kept: number;
  removed: number;
}

/** Beside each cached file, the ETag of the object it holds. */
export const ETAG_SUFFIX = '.etag';

/** Objects fetched at once: a first mirror of a large lake is bound by round trips, not bandwidth. */
export const FETCHES_AT_ONCE = 16;

export async function mirrorPrefix(store: ObjectStore, prefix: string, dir: string): Promise<MirrorResult> {
  const result: MirrorResult = { fetched: 0, kept: 0, removed: 0 };
  const listed = new Set<string>();
  const mirror = async (object: StoredObject) => {
    const file = path.join(dir, ...object.key.split('/'));
    if ((await readEtag(file)) === object.etag && fs.existsSync(file)) {
      result.kept += 1;
      return;
    }
    const got = await store.get(object.key);
    if (!got) return; // deleted since the listing
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.tmp-${randomUUID()}`;
    await fs.promises.writeFile(temp, got.body);
    await replaceCached(file, async () => {
      await fs.promises.rename(temp, file);
      return got.object.etag;
    });
    result.fetched += 1;
  };
  const batch: StoredObject[] = [];
  for await (const object of store.list(prefix)) {
    listed.add(object.key);
    batch.push(object);
    if (batch.length === FETCHES_AT_ONCE) await Promise.all(batch.splice(0).map(mirror));
  }
  await Promise.all(batch.map(mirror));
  // What the mirror holds under the prefix that the store no longer has.
  for (const key of await mirroredKeys(dir, prefix)) {
    if (listed.has(key)) continue;
    await removeCached(path.join(dir, ...key.split('/')));
    result.removed += 1;
  }
  return result;
}

/**
 * Replace a cached copy of an object: `write` puts the new file in place whole and returns its ETag
 * (undefined: there is no object). The old ETag goes first and the new one is written last: after a
 * crash in between no ETag matches, so the next read fetches the object again rather than trusting
 * the file beside it.
 */
export async function replaceCached(file: string, write: () => Promise<string | undefined>): Promise<string | undefined> {
  await fs.promises.rm(`${file}${ETAG_SUFFIX}`, { force: true });
  const etag = await write();
  if (etag !== undefined) await writeEtag(file, etag);
  return etag;
}

/** Remove a cached copy: its ETag first, so a crash in between leaves no ETag vouching for a missing file. */
export async function removeCached(file: string): Promise<void> {
  await fs.promises.rm(`${file}${ETAG_SUFFIX}`, { force: true });
  await fs.promises.rm(file, { force: true });
}

/** Write a cached file's ETag beside it, whole (written beside, then renamed). */
export async function writeEtag(file: string, etag: string): Promise<void> {
  const temp = `${file}${ETAG_SUFFIX}.tmp-${randomUUID()}`;
  await fs.promises.writeFile(temp, etag);
  await fs.promises.rename(temp, `${file}${ETAG_SUFFIX}`);
}

export async function readEtag(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(`${file}${ETAG_SUFFIX}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Keys of the files mirrored under `prefix` (those with an ETag beside them). */
async function mirroredKeys(dir: string, prefix: string): Promise<string[]> {
  return (await keysOfFilesUnder(dir, prefix)).filter((key) => key.endsWith(ETAG_SUFFIX) && !key.includes('.tmp-')).map((key) => key.slice(0, -ETAG_SUFFIX.length));
}
