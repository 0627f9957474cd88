/**
 * The lake's object store (lake/object-store.ts), the same tests against both implementations: a
 * folder, and a real S3 server (SeaweedFS, built into .tools/ by `npm test`, started here on loopback).
 * No mock: the conditional writes are the S3 server's own.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { FolderStore, ObjectStoreUnavailable, PreconditionFailed, type ObjectStore } from '../lake/object-store';
import { parseS3Url, PART_BYTES, S3Store } from '../lake/s3-store';
import { findSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../scripts/lib/seaweedfs';
import { withDuckDB } from '../lake/duckdb';
import { mirrorPrefix } from '../lake/mirror';
import { StaleCommit, type FileVersion } from '../lake/commit';
import { commitObject, versionOfObject } from '../lake/object-commit';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-object-store-'));
let server: SeaweedFSServer | undefined;

before(async () => {
  const weed = findSeaweedFS();
  assert.ok(weed, 'SeaweedFS is not built: `npm test` builds it (or `npm run seaweedfs`)');
  server = await startSeaweedFS({ weed, dir: path.join(tmp, 'seaweedfs'), buckets: ['lake'] });
});

after(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

const kinds: [string, () => ObjectStore][] = [
  ['a folder', () => new FolderStore(path.join(tmp, 'folder'))],
  ['an S3 bucket (SeaweedFS)', () => S3Store.fromEnv('s3://lake/conveyor', { ...process.env, ...server!.env })],
];

for (const [kind, open] of kinds) {
  describe(`the object store on ${kind}`, () => {
    it('creates an object once: a second create of the key is refused and the first stays', async () => {
      const store = open();
      const made = await store.create('meta/runs/a.json', '{"run":1}');
      assert.equal(made.size, 9);
      await assert.rejects(store.create('meta/runs/a.json', '{"run":2}'), PreconditionFailed);
      const read = await store.get('meta/runs/a.json');
      assert.equal(read?.body.toString(), '{"run":1}');
      assert.equal(read?.object.etag, made.etag);
    });

    it('replaces an object only while it is the one read: a writer holding an older ETag is refused', async () => {
      const store = open();
      const first = await store.create('showroom/t/partition_key=2024-01-01/data.parquet', Buffer.from('version 1'));
      const readByZombie = await store.head('showroom/t/partition_key=2024-01-01/data.parquet');
      const second = await store.replace('showroom/t/partition_key=2024-01-01/data.parquet', Buffer.from('version 2'), first.etag);
      assert.notEqual(second.etag, first.etag);
      await assert.rejects(store.replace('showroom/t/partition_key=2024-01-01/data.parquet', Buffer.from('zombie'), readByZombie!.etag), PreconditionFailed);
      assert.equal((await store.get('showroom/t/partition_key=2024-01-01/data.parquet'))?.body.toString(), 'version 2');
    });

    it('of two writers racing to create the same key, exactly one wins', async () => {
      const store = open();
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.create('meta/race.json', `writer ${i}`)));
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof PreconditionFailed, String(o.reason));
    });

    it('lists every key under a prefix, in key order, past the 1,000 keys of one S3 page', async () => {
      const store = open();
      const keys = Array.from({ length: 1205 }, (_, i) => `many/partition_key=${String(i).padStart(5, '0')}/data.json`);
      for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.create(k, '{}')));
      assert.deepEqual(await keysOf(store, 'many/'), keys);
      assert.deepEqual(await keysOf(store, 'many/partition_key=0120'), keys.slice(1200, 1205));
      assert.deepEqual(await keysOf(store, 'nothing-here/'), []);
    });

    it('reads a missing object as undefined, and deletes', async () => {
      const store = open();
      assert.equal(await store.get('meta/none.json'), undefined);
      assert.equal(await store.head('meta/none.json'), undefined);
      await store.create('meta/gone.json', 'x');
      await store.delete('meta/gone.json');
      assert.equal(await store.head('meta/gone.json'), undefined);
    });

    it('refuses a key that could leave its root', async () => {
      const store = open();
      for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '']) await assert.rejects(store.get(key), /invalid object key/);
    });
  });
}

describe('S3 URLs and credentials', () => {
  it('parses s3://bucket/prefix and refuses anything else in one line', () => {
    assert.deepEqual(parseS3Url('s3://lake/conveyor/'), { bucket: 'lake', prefix: 'conveyor' });
    assert.deepEqual(parseS3Url('s3://lake'), { bucket: 'lake', prefix: '' });
    assert.throws(() => parseS3Url('https://lake/x'), /invalid S3 URL "https:\/\/lake\/x": expected s3:\/\/<bucket>\[\/<prefix>\]/);
    assert.throws(() => parseS3Url('s3://Lake_Bucket/x'), /invalid S3 URL/);
  });

  it('says in one line, without the secret, when the credentials are wrong, the bucket unknown or the endpoint silent', async () => {
    const env = { ...process.env, ...server!.env };
    const wrong = S3Store.fromEnv('s3://lake/conveyor', { ...env, AWS_SECRET_ACCESS_KEY: 'wrong-secret' });
    await assert.rejects(wrong.head('meta/x.json'), (err: Error) => {
      assert.ok(err instanceof ObjectStoreUnavailable, String(err));
      assert.match(err.message, /refused access to s3:\/\/lake\/conveyor \(HTTP 403\): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      assert.doesNotMatch(err.message, /wrong-secret|\n/);
      return true;
    });
    const unknown = S3Store.fromEnv('s3://no-such-bucket/x', env);
    await assert.rejects(keysOf(unknown, ''), /no bucket "no-such-bucket"/);
    const silent = S3Store.fromEnv('s3://lake/x', { ...env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' });
    await assert.rejects(silent.head('meta/x.json'), /the S3 endpoint http:\/\/127.0.0.1:9 for s3:\/\/\S+ does not answer/);
  });
});

describe('a local mirror of a bucket, kept by ETag (how readers without S3 read the lake)', () => {
  /** A Parquet file of `rows` rows, as bytes. */
  const parquet = async (rows: number): Promise<Buffer> => {
    const file = path.join(tmp, `p-${rows}-${Math.random()}.parquet`);
    await withDuckDB((db) => db.run(`COPY (SELECT range AS id FROM range(${rows})) TO '${file}' (FORMAT parquet)`));
    const body = fs.readFileSync(file);
    fs.rmSync(file);
    return body;
  };
  const countIn = (dir: string) =>
    withDuckDB((db) =>
      db.query<{ partition_key: string; rows: bigint }>(
        `SELECT partition_key, count(*) AS rows FROM read_parquet('${dir}/showroom/t/partition_key=*/data.parquet', hive_partitioning = true, hive_types_autocast = false) GROUP BY ALL ORDER BY ALL`,
      ),
    );

  it('fetches what changed, keeps what did not, drops what is gone; DuckDB reads it as a lake', async () => {
    const store = S3Store.fromEnv('s3://lake/mirror-test', { ...process.env, ...server!.env });
    const dir = path.join(tmp, 'mirror');
    const key = (day: string) => `showroom/t/partition_key=${day}/data.parquet`;
    const first = await store.create(key('2024-01-01'), await parquet(10));
    await store.create(key('2024-01-02'), await parquet(20));
    await store.create(key('2024-01-03'), await parquet(30));
    assert.deepEqual(await mirrorPrefix(store, 'showroom/t/', dir), { fetched: 3, kept: 0, removed: 0 });
    assert.deepEqual(await mirrorPrefix(store, 'showroom/t/', dir), { fetched: 0, kept: 3, removed: 0 });
    assert.deepEqual(
      (await countIn(dir)).map((r) => [r.partition_key, Number(r.rows)]),
      [['2024-01-01', 10], ['2024-01-02', 20], ['2024-01-03', 30]],
    );

    await store.replace(key('2024-01-01'), await parquet(11), first.etag); // a rerun republished it
    await store.delete(key('2024-01-02'));
    await store.create(key('2024-01-04'), await parquet(40));
    assert.deepEqual(await mirrorPrefix(store, 'showroom/t/', dir), { fetched: 2, kept: 1, removed: 1 });
    assert.deepEqual(
      (await countIn(dir)).map((r) => [r.partition_key, Number(r.rows)]),
      [['2024-01-01', 11], ['2024-01-03', 30], ['2024-01-04', 40]],
    );
  });
});

describe('the commit rule on S3, without a lock (conditional writes)', () => {
  const open = () => S3Store.fromEnv('s3://lake/commit-test', { ...process.env, ...server!.env });
  const version = (scheduledMs: number, runId = `run-${scheduledMs}`): FileVersion => ({ scheduledMs, runId, workflowId: 'orders.2024-03-01', attempt: 1 });
  const bodyAt = async (store: S3Store, key: string) => (await store.get(key))?.body.toString();

  it('a later version replaces, the same version again is a no-op, an older one is refused (a zombie that reads after the newer publish)', async () => {
    const store = open();
    const key = 'showroom/orders/partition_key=2024-03-01/data.parquet';
    assert.equal(await commitObject(store, { key, body: Buffer.from('v1'), version: version(1000) }), 'committed');
    assert.equal(await commitObject(store, { key, body: Buffer.from('v2'), version: version(2000) }), 'committed');
    assert.equal(await commitObject(store, { key, body: Buffer.from('v2 again'), version: version(2000) }), 'already-committed');
    await assert.rejects(commitObject(store, { key, body: Buffer.from('zombie'), version: version(1500) }), (err: Error) => err instanceof StaleCommit && /holds a newer version \(run run-2000/.test(err.message));
    assert.equal(await bodyAt(store, key), 'v2');
    const head = await store.head(key);
    assert.deepEqual(head && versionOfObject(head), version(2000));
  });

  it('a zombie that read before the newer publish loses its conditional write (412), reads again, and is refused', async () => {
    const real = open();
    const key = 'showroom/orders/partition_key=2024-03-02/data.parquet';
    await commitObject(real, { key, body: Buffer.from('v1'), version: version(1000) });
    // The zombie (version 1500) reads, then stalls before its write while the newer run (2000) publishes.
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let read = false;
    const zombieStore = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'head') return async (k: string) => ((read = true), target.head(k));
        if (prop === 'replace') return async (...args: Parameters<S3Store['replace']>) => (await stalled, target.replace(...args));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const zombie = commitObject(zombieStore, { key, body: Buffer.from('zombie'), version: version(1500) });
    while (!read) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await commitObject(real, { key, body: Buffer.from('v2'), version: version(2000) }), 'committed');
    release();
    await assert.rejects(zombie, StaleCommit);
    assert.equal(await bodyAt(real, key), 'v2');
  });

  it('of eight attempts racing with different versions, the newest is what stays', async () => {
    const store = open();
    const key = 'showroom/orders/partition_key=2024-03-03/data.parquet';
    const outcomes = await Promise.allSettled([5, 3, 8, 1, 7, 2, 6, 4].map((n) => commitObject(store, { key, body: Buffer.from(`v${n}`), version: version(n * 1000) })));
    for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof StaleCommit, String(o.reason));
    assert.equal(await bodyAt(store, key), 'v8');
  });

  it('replaces an object without a version (written by something else), saying so', async () => {
    const store = open();
    const key = 'showroom/orders/partition_key=2024-03-04/data.parquet';
    await store.create(key, 'not ours');
    const unreadable: string[] = [];
    assert.equal(await commitObject(store, { key, body: Buffer.from('v1'), version: version(1000), onUnreadable: (k) => unreadable.push(k) }), 'committed');
    assert.deepEqual(unreadable, [key]);
    assert.equal(await bodyAt(store, key), 'v1');
  });
});

describe('large files on S3: uploaded in parts, the condition on completing', () => {
  const open = () => S3Store.fromEnv('s3://lake/parts-test', { ...process.env, ...server!.env });
  const bigFile = (name: string, mib: number) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, Buffer.concat(Array.from({ length: mib }, (_, i) => Buffer.alloc(1024 * 1024, i % 251))));
    return file;
  };
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const rawClient = () =>
    new S3Client({ endpoint: server!.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: server!.accessKeyId, secretAccessKey: server!.secretAccessKey } });
  const pendingUploads = async () => (await rawClient().send(new ListMultipartUploadsCommand({ Bucket: 'lake', Prefix: 'parts-test/' }))).Uploads ?? [];

  it('uploads a 20 MiB file in three parts, whole, with its metadata; a stale condition leaves no upload behind', async () => {
    const store = open();
    const file = bigFile('big-1.parquet', 20);
    assert.ok(fs.statSync(file).size > 2 * PART_BYTES);
    const key = 'showroom/big/partition_key=2024-01-01/data.parquet';
    const made = await store.create(key, { file }, { 'conveyor-run-id': 'r1' });
    const read = await store.get(key);
    assert.equal(sha(read!.body), sha(fs.readFileSync(file)));
    assert.equal(read!.object.metadata?.['conveyor-run-id'], 'r1');
    await store.replace(key, { file: bigFile('big-2.parquet', 18) }, made.etag);
    await assert.rejects(store.replace(key, { file: bigFile('big-3.parquet', 17) }, made.etag), PreconditionFailed);
    assert.equal((await store.get(key))!.body.length, 18 * 1024 * 1024, 'the second upload stays');
    assert.deepEqual(await pendingUploads(), []);
  });

  it('aborts what a writer killed mid-upload left', async () => {
    const store = open();
    const client = rawClient();
    const Key = 'parts-test/showroom/big/partition_key=2024-01-02/data.parquet';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'lake', Key }));
    await client.send(new UploadPartCommand({ Bucket: 'lake', Key, UploadId, PartNumber: 1, Body: Buffer.alloc(PART_BYTES, 1) }));
    assert.equal((await pendingUploads()).length, 1);
    assert.deepEqual(await store.abortAbandonedUploads('showroom/', Date.now() - 60_000), [], 'an upload begun after the cutoff may still be going');
    assert.deepEqual(await store.abortAbandonedUploads('showroom/', Date.now() + 1000), ['showroom/big/partition_key=2024-01-02/data.parquet']);
    assert.deepEqual(await pendingUploads(), []);
    assert.equal(await store.head('showroom/big/partition_key=2024-01-02/data.parquet'), undefined);
  });

  it('commits a large file by the commit rule', async () => {
    const store = open();
    const key = 'showroom/big/partition_key=2024-01-03/data.parquet';
    const file = bigFile('big-4.parquet', 12);
    const v = { scheduledMs: 1000, runId: 'r', workflowId: 'w', attempt: 1 };
    assert.equal(await commitObject(store, { key, body: { file }, version: v }), 'committed');
    assert.deepEqual(versionOfObject((await store.head(key))!), v);
    await assert.rejects(commitObject(store, { key, body: { file }, version: { ...v, scheduledMs: 500, runId: 'old' } }), StaleCommit);
  });
});
