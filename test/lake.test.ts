/**
 * The lake on its own, without a Temporal server: the real step activities run in a mock activity
 * context against real files. Covers the commit rule (a zombie attempt never overwrites a newer
 * publish), path safety, manifests written once, the janitor, and bad files in the lake.
 */
import { activityDeps } from '../activities/deps';
import { loadConfig } from '../platform/config';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { runRecordSchema, type RunRecord, type UnfinishedRunRecord } from '../common/run-record';
import type { IngestResult, PublishResult, TransformResult } from '../common/run-types';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { COMMIT_LOCK, commitFile, readVersion, readVersions, StaleCommit, versionMetadataOption, type FileVersion } from '../lake/commit';
import { sqlString } from '../common/sql';
import { withDuckDB } from '../lake/duckdb';
import { LakeLayout, prepareLake, UnsafeLakePath } from '../lake/layout';
import { withLakeReader } from '../lake/reader';
import { publishedPartitions, readManifests, writeManifest } from '../lake/runs';
import { stalePartitionsOf } from '../lake/staleness';
import { pruneStagingCache, STAGING_CACHE_IDLE_MS, UPLOAD_CLOCK_SLACK_MS } from '../lake/janitor';
import { deploymentRegistry } from '../definitions/registry';
import { ordersPipeline } from '../pipelines/orders/definition';
import { partitionSchemeOf } from '../definitions/definition';
import { readPartitionFacts } from '../monitoring/observe';
import { snapshotOf } from '../definitions/snapshot';
import { filesUnder } from './helpers/harness';
import { S3Area } from '../lake/area';
import { findSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../scripts/lib/seaweedfs';

/** The lake's core tests run on both: a folder, and a bucket of a real S3 server (SeaweedFS, built by `npm test`). */
type LakeKind = 'folder' | 's3';
const KINDS: LakeKind[] = ['folder', 's3'];
let s3: SeaweedFSServer | undefined;
/** Every temporary folder the tests make, removed at the end. */
const temporary: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};
before(async () => {
  const weed = findSeaweedFS();
  assert.ok(weed, 'SeaweedFS is not built: `npm test` builds it (or `npm run seaweedfs`)');
  s3 = await startSeaweedFS({ weed, dir: tempDir('conveyor-lake-s3-'), buckets: ['lake'] });
});
after(async () => {
  await s3?.stop();
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

function tempLake(kind: LakeKind = 'folder') {
  const dir = tempDir('conveyor-lake-');
  const root = path.join(dir, 'lake');
  // In S3, `root` is the local cache; each test its own prefix of the bucket.
  const lake = kind === 'folder' ? new LakeLayout(root) : new LakeLayout(root, new S3Area(`s3://lake/${path.basename(dir)}`, root, { ...process.env, ...s3!.env }));
  const landingDir = path.join(dir, 'landing');
  return { dir, lake, landingDir, activities: createActivities(activityDeps(loadConfig({ CONVEYOR_DATA_DIR: dir }), deploymentRegistry(), lake)) };
}

/** An activity context of one attempt of run `runId`, scheduled on the server at `scheduledMs`. */
function attemptOf(runId: string, scheduledMs: number, attempt = 1) {
  return new MockActivityEnvironment({
    attempt,
    currentAttemptScheduledTimestampMs: scheduledMs,
    heartbeatTimeoutMs: 20_000,
    workflowExecution: { workflowId: 'orders.2024-03-01', runId },
  });
}

const input = { pipeline: 'orders', partition: '2024-03-01', snapshot: snapshotOf(ordersPipeline) };

/** A run's record as the workflow hands it to recordRun: `fields` over a succeeded manual run of orders/2024-03-01 that read one row. */
function runRecord(fields: Partial<UnfinishedRunRecord> = {}): UnfinishedRunRecord {
  return {
    run_id: 'run-a', workflow_id: 'orders.2024-03-01', pipeline: 'orders', partition_key: '2024-03-01', run_kind: 'manual', backfill_id: null,
    status: 'succeeded', failure_class: null, failure_step: null, failure_reason: null,
    rows_in: 1, rows_rejected: null, rows_duplicate: null, rows_published: null,
    files: [], attempts: {}, durations_ms: {}, started_at: new Date(0).toISOString(), overrides: [], upstream: [],
    ...fields,
  };
}
/** The record as recordRun writes it, finished at `at`. */
const finished = (record: UnfinishedRunRecord, at: Date): RunRecord => runRecordSchema.parse({ ...record, finished_at: at.toISOString() });

async function stage(t: ReturnType<typeof tempLake>, runId: string, scheduledMs: number): Promise<TransformResult> {
  const env = attemptOf(runId, scheduledMs);
  const ingested: IngestResult = await env.run(t.activities.ingest, input);
  return env.run(t.activities.transform, { ...input, ingested: ingested.staged });
}

async function publishedBy(t: ReturnType<typeof tempLake>): Promise<{ run_id: string; n: bigint }[]> {
  return withLakeReader(t.lake, deploymentRegistry(), (db) => db.query(`SELECT run_id, count(*) AS n FROM showroom.orders GROUP BY run_id`));
}

describe('the commit rule', () => {
  for (const kind of KINDS) {
  describe(`on ${kind === 'folder' ? 'a folder' : 'S3'}`, () => {
    it('publishes a partition as one Parquet file stamped with the attempt that wrote it', async () => {
      const t = tempLake(kind);
      const landed = generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 500, files: 2, faults: ['duplicates'] });
      const transformed = await stage(t, 'run-a', 1_000);
      const published = (await attemptOf('run-a', 1_100).run(t.activities.publish, { ...input, clean: transformed.staged })) as PublishResult;
      assert.equal(published.rowsPublished, landed.validOrders);
      assert.deepEqual(await publishedBy(t), [{ run_id: 'run-a', n: BigInt(landed.validOrders) }]);
      const version = await withDuckDB((db) => t.lake.area.versionOf(db, t.lake.publishedFile('orders', input.partition)));
      assert.deepEqual(version, { scheduledMs: 1_000, runId: 'run-a', workflowId: 'orders.2024-03-01', attempt: 1 });
    });

    it('refuses a zombie publish of an older run after a newer run published', async () => {
      const t = tempLake(kind);
      generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 300, files: 1 });
      // Run A stages its rows; its publish attempt stalls on a lost worker, outlives its timeout, and A ends.
      const stagedByA = await stage(t, 'run-a', 1_000);
      // Keep a copy of A's staged file, as if the janitor had not reached it yet.
      const keptA = path.join(t.dir, 'a.parquet');
      fs.copyFileSync(path.join(t.lake.root, stagedByA.staged), keptA);
      // Run B (a rerun, later) publishes.
      const landedB = generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 400, files: 1 });
      const stagedByB = await stage(t, 'run-b', 2_000);
      await attemptOf('run-b', 2_100).run(t.activities.publish, { ...input, clean: stagedByB.staged });
      // The zombie wakes up and publishes. B's janitor removed A's staging: nothing to publish, nothing overwritten.
      await assert.rejects(attemptOf('run-a', 1_100).run(t.activities.publish, { ...input, clean: stagedByA.staged }), /not published by run run-a/);
      assert.deepEqual(await publishedBy(t), [{ run_id: 'run-b', n: BigInt(landedB.validOrders) }]);
      // Had A's file still been staged, the commit rule refuses it: B's version is newer.
      fs.mkdirSync(path.dirname(path.join(t.lake.root, stagedByA.staged)), { recursive: true });
      fs.copyFileSync(keptA, path.join(t.lake.root, stagedByA.staged));
      await t.lake.area.share(path.join(t.lake.root, stagedByA.staged));
      await assert.rejects(attemptOf('run-a', 1_100).run(t.activities.publish, { ...input, clean: stagedByA.staged }), /holds a newer version \(run run-b/);
      assert.deepEqual(await publishedBy(t), [{ run_id: 'run-b', n: BigInt(landedB.validOrders) }]);
    });

    it('a retried publish whose first attempt committed reports the partition, once', async () => {
      const t = tempLake(kind);
      const landed = generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 200, files: 1 });
      const staged = await stage(t, 'run-a', 1_000);
      await attemptOf('run-a', 1_100).run(t.activities.publish, { ...input, clean: staged.staged });
      const again = (await attemptOf('run-a', 1_200, 2).run(t.activities.publish, { ...input, clean: staged.staged })) as PublishResult;
      assert.equal(again.rowsPublished, landed.validOrders);
      assert.deepEqual(await publishedBy(t), [{ run_id: 'run-a', n: BigInt(landed.validOrders) }]);
    });

    it('never publishes from a snapshot that is shorter than ingest wrote (staging damaged by a crash)', async () => {
      const t = tempLake(kind);
      generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 300, files: 1 });
      const env = attemptOf('run-a', 1_000);
      const ingested = (await env.run(t.activities.ingest, input)) as IngestResult;
      const snapshot = path.join(t.lake.root, ingested.staged.files[0]!.path);
      fs.truncateSync(snapshot, Math.floor(fs.statSync(snapshot).size / 2));
      await assert.rejects(env.run(t.activities.transform, { ...input, ingested: ingested.staged }), /snapshot .* is \d+ bytes, ingest wrote \d+ bytes: staging was damaged/);
      assert.equal(await t.lake.area.size(t.lake.publishedFile('orders', input.partition)), undefined);
    });
  });
  }

  it('commits only newer versions, and replaces a corrupt file in place', async () => {
    const t = tempLake();
    const target = t.lake.publishedFile('orders', '2024-01-01');
    const write = (version: FileVersion, name: string) =>
      withDuckDB(async (db) => {
        const file = path.join(t.dir, name);
        await db.run(`COPY (SELECT ${sqlString(version.runId)} AS run_id) TO ${sqlString(file)} (FORMAT parquet, ${versionMetadataOption(version)})`);
        return file;
      });
    const v = (runId: string, scheduledMs: number): FileVersion => ({ runId, scheduledMs, workflowId: 'w', attempt: 1 });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, 'not parquet at all');
    const unreadable: string[] = [];
    await withDuckDB(async (db) => {
      assert.equal(await commitFile(db, { staged: await write(v('new', 2), 'n.parquet'), target, version: v('new', 2), onUnreadable: (f) => unreadable.push(f) }), 'committed');
      assert.deepEqual(unreadable, [target]);
      await assert.rejects(commitFile(db, { staged: await write(v('old', 1), 'o.parquet'), target, version: v('old', 1) }), StaleCommit);
      assert.equal((await readVersion(db, target)) && (await readVersion(db, target) as FileVersion).runId, 'new');
      assert.equal(await commitFile(db, { staged: await write(v('new', 2), 'n2.parquet'), target, version: v('new', 2) }), 'already-committed');
    });
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ['data.parquet'], 'no lock or temp file left beside the partition');

    // Many versions in one read: a missing file is left out, a file that is not Parquet or carries no version is unreadable.
    const unstamped = path.join(t.dir, 'unstamped.parquet');
    const corrupt = path.join(t.dir, 'corrupt.parquet');
    fs.writeFileSync(corrupt, 'PAR1 garbage');
    await withDuckDB(async (db) => {
      await db.run(`COPY (SELECT 1 AS a) TO ${sqlString(unstamped)} (FORMAT parquet)`);
      const good = await write(v('many', 5), 'many.parquet');
      const missing = path.join(t.dir, 'missing.parquet');
      for (const files of [[good, unstamped, missing], [good, unstamped, corrupt, missing]]) {
        const expected = new Map<string, FileVersion | 'unreadable'>([[good, v('many', 5)], [unstamped, 'unreadable'], ...(files.includes(corrupt) ? [[corrupt, 'unreadable'] as const] : [])]);
        assert.deepEqual(await readVersions(db, files), expected, files.map((f) => path.basename(f)).join(', '));
      }
    });

    // A lock left by a process that died, or whose PID a restarted container reuses, is broken at once.
    const lock = path.join(path.dirname(target), COMMIT_LOCK);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    for (const owner of [{ pid: dead, started: '1' }, { pid: process.pid, started: 'an earlier incarnation' }]) {
      fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), token: 'left-behind', ...owner }));
      const started = Date.now();
      await withDuckDB(async (db) => {
        const version = v(`after-${owner.started}`, 10 + (owner.pid === dead ? 0 : 1));
        assert.equal(await commitFile(db, { staged: await write(version, `${owner.pid}.parquet`), target, version }), 'committed');
      });
      assert.ok(Date.now() - started < 5_000, 'not waited out');
      assert.deepEqual(fs.readdirSync(path.dirname(target)), ['data.parquet']);
    }
  });
});

describe('lake records and housekeeping', () => {
  for (const kind of KINDS) {
    it(`writes a run manifest once, and the janitor removes what crashed runs left (${kind})`, async () => {
      const t = tempLake(kind);
      const manifest = runRecord({ attempts: { awaitLanding: 2 }, durations_ms: { awaitLanding: 5 } });
      assert.equal(await writeManifest(t.lake, finished(manifest, new Date(1000))), true);
      assert.equal(await writeManifest(t.lake, finished({ ...manifest, status: 'failed' }, new Date(2000))), false);
      // The file: one JSON object on one line, its fields those of meta.partition_runs, in their order.
      const text = await t.lake.area.readText(t.lake.manifestFile('orders', '2024-03-01', 'run-a'));
      assert.deepEqual(Object.keys(JSON.parse(text!)), [
        'run_id', 'workflow_id', 'pipeline', 'partition_key', 'run_kind', 'backfill_id', 'status', 'failure_class', 'failure_step', 'failure_reason',
        'rows_in', 'rows_rejected', 'rows_duplicate', 'rows_published', 'files', 'attempts', 'durations_ms', 'started_at', 'finished_at', 'overrides', 'transform', 'checks', 'upstream',
      ]);
      assert.match(text!, /^\{[^\n]*\}\n$/);
      // A record written before runs recorded their transform and checks still reads, with neither.
      const old = { ...JSON.parse(text!), run_id: 'run-old' } as Record<string, unknown>;
      delete old.transform;
      delete old.checks;
      await t.lake.area.writeOnce(t.lake.manifestFile('orders', '2024-02-29', 'run-old'), `${JSON.stringify(old)}\n`);
      const oldRecord = (await readManifests(t.lake, 'orders', '2024-02-29')).find((r) => r.run_id === 'run-old');
      assert.deepEqual([oldRecord?.transform, oldRecord?.checks], [null, []]);
      // A record that is not valid JSON, or not a run record, is skipped and reported.
      const dir = t.lake.manifestDir('orders', '2024-03-01');
      await t.lake.area.writeOnce(path.join(dir, 'run-torn.json'), '{"run_id": "run-torn", ');
      await t.lake.area.writeOnce(path.join(dir, 'run-odd.json'), JSON.stringify({ ...finished(manifest, new Date(1500)), run_id: 'run-odd', status: 'maybe' }) + '\n');
      const unreadable: string[] = [];
      const runs = await readManifests(t.lake, 'orders', '2024-03-01', (file) => unreadable.push(path.basename(file)));
      assert.deepEqual(unreadable.sort(), ['run-odd.json', 'run-torn.json']);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'succeeded', 'the first record of a run stands');
      assert.deepEqual(runs[0], finished(manifest, new Date(1000)));

      // A crashed run left staging files; the next run of the partition sweeps them at ingest.
      const crashed = t.lake.runStagingDir('orders', '2024-03-01', 'run-crashed');
      fs.mkdirSync(crashed, { recursive: true });
      fs.writeFileSync(path.join(crashed, 'raw.attempt-1.parquet'), 'half a file');
      await t.lake.area.share(path.join(crashed, 'raw.attempt-1.parquet'));
      generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 50, files: 1 });
      const staged = await stage(t, 'run-b', 3_000);
      await attemptOf('run-b', 3_100).run(t.activities.publish, { ...input, clean: staged.staged });
      assert.equal(fs.existsSync(crashed), false);
      assert.deepEqual(await t.lake.area.readdir(t.lake.partitionStagingDir('orders', '2024-03-01')), [path.basename(t.lake.runStagingDir('orders', '2024-03-01', 'run-b'))]);
      await attemptOf('run-b', 3_200).run(t.activities.recordRun, { ...manifest, run_id: 'run-b' });
      assert.deepEqual(filesUnder(path.join(t.lake.root, 'staging')), [], 'the run removed its own staging');
      assert.deepEqual(await t.lake.area.readdir(t.lake.partitionStagingDir('orders', '2024-03-01')), [], 'in the lake too');
    });
  }

  it('aborts the uploads a run left once it is recorded, never one the next run began after (s3)', async () => {
    const t = tempLake('s3');
    const client = new S3Client({ endpoint: s3!.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3!.accessKeyId, secretAccessKey: s3!.secretAccessKey } });
    try {
      const keyOf = (file: string) => `${path.basename(t.dir)}/${t.lake.relative(file)}`;
      const begin = (file: string) => client.send(new CreateMultipartUploadCommand({ Bucket: 'lake', Key: keyOf(file) }));
      const pending = async () =>
        ((await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake', Prefix: `${path.basename(t.dir)}/` }))).Uploads ?? []).map((u) => u.Key).sort();
      // Run A's publish was killed mid-upload (and its retry published); its recordRun is scheduled after.
      const published = t.lake.publishedFile('orders', input.partition);
      await begin(published);
      // S3 gives an upload's start to the second; the janitor allows for that and for clock skew.
      await new Promise((r) => setTimeout(r, 1100 + UPLOAD_CLOCK_SLACK_MS));
      const recordScheduledMs = Date.now();
      await new Promise((r) => setTimeout(r, 1100));
      // Run B of the partition began uploading after that attempt of A's recordRun was scheduled (it is a
      // zombie that ran late, after A ended): B's upload, in its staging folder, stays.
      const runB = path.join(t.lake.runStagingDir('orders', input.partition, 'run-b'), 'clean.parquet');
      await begin(runB);
      await attemptOf('run-a', recordScheduledMs).run(t.activities.recordRun, runRecord());
      assert.deepEqual(await pending(), [keyOf(runB)], "A's abandoned upload is aborted, B's is not");
    } finally {
      client.destroy();
    }
  });

  for (const kind of KINDS) {
    it(`drops cached staged files unused for a day, and only cached ones (${kind})`, async () => {
      const t = tempLake(kind);
      generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 50, files: 2 });
      const staged = await stage(t, 'run-a', 1_000);
      const runDir = t.lake.runStagingDir('orders', input.partition, 'run-a');
      const local = filesUnder(runDir).filter((f) => !f.endsWith('.etag'));
      assert.ok(local.length >= 3, `staged: ${local.join(', ')}`);
      // Everything staged was last used two days ago; then transform's clean file is fetched again (used).
      const twoDaysAgo = new Date(Date.now() - 2 * STAGING_CACHE_IDLE_MS);
      for (const f of filesUnder(runDir)) fs.utimesSync(path.join(runDir, f), twoDaysAgo, twoDaysAgo);
      const clean = path.join(t.lake.root, staged.staged);
      assert.equal(await t.lake.area.fetch(clean, { immutable: true }), clean);
      // An empty folder left a day ago goes; one made a moment ago (a fetch about to write into it) stays.
      const oldEmpty = path.join(t.lake.partitionStagingDir('orders', input.partition), 'run_id=old', 'landed.x');
      const newEmpty = path.join(t.lake.partitionStagingDir('orders', input.partition), 'run_id=new', 'landed.y');
      for (const d of [oldEmpty, newEmpty]) fs.mkdirSync(d, { recursive: true });
      for (const d of [oldEmpty, path.dirname(oldEmpty)]) fs.utimesSync(d, twoDaysAgo, twoDaysAgo);
      const removed = (await pruneStagingCache(t.lake)).map((f) => path.relative(runDir, f)).sort();
      if (kind === 'folder') {
        assert.deepEqual(removed, [], 'a folder lake has no cache: its staging is the lake');
        assert.deepEqual(filesUnder(runDir).filter((f) => !f.endsWith('.etag')), local);
        return;
      }
      assert.deepEqual(removed, local.filter((f) => path.join(runDir, f) !== clean).sort(), 'all but the file used just now');
      assert.equal(fs.existsSync(path.dirname(oldEmpty)), false, 'the idle empty folders are gone');
      assert.ok(fs.existsSync(newEmpty), 'the new empty folder stays');
      assert.deepEqual(filesUnder(runDir), [path.relative(runDir, clean), `${path.relative(runDir, clean)}.etag`], 'their ETags went with them');
      // The run's files are still in the bucket: a later step on this worker fetches them again.
      const again = path.join(runDir, local.find((f) => path.join(runDir, f) !== clean)!);
      assert.equal(await t.lake.area.fetch(again, { immutable: true }), again);
      assert.ok(fs.statSync(again).size > 0);
    });
  }

  for (const kind of KINDS) {
    it(`status reads a published partition's rows from its run's record, and counts them only when there is none (${kind})`, async () => {
      const t = tempLake(kind);
      const [recorded, unrecorded] = ['2024-03-01', '2024-03-02'];
      for (const partition of [recorded, unrecorded]) {
        generateOrdersPartition({ landingDir: t.landingDir, partition, rows: 40, files: 1 });
        const env = attemptOf(`run-${partition}`, 1_000);
        const at = { ...input, partition };
        const ingested: IngestResult = await env.run(t.activities.ingest, at);
        const staged: TransformResult = await env.run(t.activities.transform, { ...at, ingested: ingested.staged });
        await env.run(t.activities.publish, { ...at, clean: staged.staged });
        // The worker is lost after publishing the second partition: no record of its run (only of an
        // earlier run of the partition, which published nothing).
        if (partition === unrecorded) {
          const earlier = runRecord({
            partition_key: partition, workflow_id: `orders.${partition}`, run_id: 'run-earlier', status: 'failed',
            failure_class: 'data', failure_step: 'transform', failure_reason: 'too many rejects', rows_in: 40,
          });
          await attemptOf('run-earlier', 500).run(t.activities.recordRun, earlier);
          continue;
        }
        const manifest = runRecord({ partition_key: partition, workflow_id: `orders.${partition}`, run_id: `run-${partition}`, rows_in: 40, rows_published: 39 });
        await attemptOf(`run-${partition}`, 1_100).run(t.activities.recordRun, manifest);
      }
      // Read as a machine that has never read the lake would (S3: a fresh cache).
      const cache = tempDir('conveyor-status-cache-');
      const reader = kind === 'folder' ? t.lake : new LakeLayout(cache, new S3Area((t.lake.area as S3Area).url, cache, { ...process.env, ...s3!.env }));
      const { facts } = await readPartitionFacts(reader, 'orders', partitionSchemeOf(ordersPipeline), [recorded, unrecorded, '2024-03-03']);
      // The record's count (39, as the test recorded it) shows that the file was not read; the other is counted (40).
      const { publishedAt, ...published } = facts.get(recorded)?.published ?? {};
      assert.deepEqual(published, { runId: `run-${recorded}`, rows: 39, runKind: 'manual' });
      assert.ok(publishedAt && Date.parse(publishedAt) > 0, 'published when its run was recorded');
      assert.equal(facts.get(unrecorded)?.published?.rows, 40);
      assert.equal(facts.get(unrecorded)?.published?.runId, `run-${unrecorded}`);
      assert.equal(facts.get('2024-03-03')?.published, undefined);
      if (kind === 's3') assert.deepEqual(filesUnder(cache).filter((f) => f.includes(recorded)), [], 'no file of the recorded partition was downloaded');
    });
  }

  it('keeps every path inside the lake root', () => {
    const { lake } = tempLake();
    assert.throws(() => lake.publishedFile('../etc', '2024-01-01'), UnsafeLakePath);
    assert.throws(() => lake.publishedFile('orders', '2024-01-01/../../x'), UnsafeLakePath);
    assert.throws(() => lake.runStagingDir('orders', '2024-01-01', '../../run'), UnsafeLakePath);
    const runDir = lake.runStagingDir('orders', '2024-01-01', 'run-a');
    assert.throws(() => lake.resolveWithin(runDir, 'staging/orders/partition_key=2024-01-01/run_id=run-b/clean.parquet'), UnsafeLakePath);
    assert.throws(() => lake.resolveWithin(runDir, '../../../../etc/passwd'), UnsafeLakePath);
  });

  it('refuses a lake root that is not a writable folder, naming it', async () => {
    const file = path.join(tempLake().dir, 'a-file');
    fs.writeFileSync(file, '');
    await assert.rejects(prepareLake(new LakeLayout(path.join(file, 'lake'))), /the lake root .*a-file\/lake is not a writable folder \(ENOTDIR\)/);
  });

  it('reads around stray files, and names a corrupt Parquet file in the error', async () => {
    const t = tempLake();
    generateOrdersPartition({ landingDir: t.landingDir, partition: input.partition, rows: 100, files: 1 });
    const staged = await stage(t, 'run-a', 1_000);
    await attemptOf('run-a', 1_100).run(t.activities.publish, { ...input, clean: staged.staged });
    const partitionDir = path.dirname(t.lake.publishedFile('orders', input.partition));
    fs.writeFileSync(path.join(partitionDir, 'notes.txt'), 'an operator left this here');
    fs.writeFileSync(path.join(partitionDir, '.data.parquet.tmp'), 'half');
    assert.equal((await publishedBy(t))[0]!.n, 100n, 'stray files are not read');
    const corrupt = t.lake.publishedFile('orders', '2024-03-02');
    fs.mkdirSync(path.dirname(corrupt), { recursive: true });
    fs.writeFileSync(corrupt, 'PAR1 garbage');
    await assert.rejects(publishedBy(t), (err: Error) => err.message.includes(corrupt));
    // The damaged partition fails only the queries that read it.
    const runs = await withLakeReader(t.lake, deploymentRegistry(), (db) => db.query<{ n: bigint }>('SELECT count(*) AS n FROM meta.partition_runs'));
    assert.equal(runs[0]!.n, 0n);
  });
});

describe('the lake in S3, past one page of a listing', () => {
  it('finds all of 1,205 published partitions and their run records (an S3 list returns at most 1,000 keys)', async () => {
    const t = tempLake('s3');
    const registry = deploymentRegistry();
    const keys = Array.from({ length: 1205 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
    const manifest = runRecord({ run_kind: 'backfill' });
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).flatMap((key) => [
          t.lake.area.writeOnce(t.lake.publishedFile('orders', key), 'a published file'),
          writeManifest(t.lake, finished({ ...manifest, partition_key: key, workflow_id: `orders.${key}`, run_id: `run-${key}` }, new Date(1000))),
        ]),
      );
    }
    assert.deepEqual([...(await publishedPartitions(t.lake, 'orders'))].sort(), keys);
    assert.equal((await t.lake.area.readdir(t.lake.manifestsDir('orders'))).length, 1205);
    const stale = await withDuckDB((db) => stalePartitionsOf(db, t.lake, 'orders'));
    assert.equal(stale.size, 0);
    const [runs] = await withLakeReader(t.lake, registry, (db) => db.query<{ n: bigint }>('SELECT count(*) AS n FROM meta.partition_runs'));
    assert.equal(runs!.n, 1205n, 'npx conveyor sql reads every record, through the mirror');
  });
});
