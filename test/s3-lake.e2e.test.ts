/**
 * The lake and the landing zone in S3 (CONVEYOR_LAKE_URL, CONVEYOR_LANDING_URL), end to end: real
 * worker processes whose CONVEYOR_DATA_DIRs are different folders, so nothing is shared but the
 * Temporal server and the buckets of a real S3 server (SeaweedFS, built into .tools/ by `npm test`).
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackfill } from '../client/backfills';
import { queryLake } from '../client/lake';
import { statusReport } from '../client/status';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { loadConfig, type ConveyorConfig } from '../platform/config';
import { addDays } from '../common/partition-key';
import { landingOf } from '../landing/landing-zone';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { ordersPipeline } from '../pipelines/orders/definition';
import { deploymentRegistry } from '../definitions/registry';
import { findSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../scripts/lib/seaweedfs';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, within } from './helpers/bounds';
import { publishedBy, startWorkerFleet, startWorkerProcess, stopWorkerProcess, type WorkerFleet } from './helpers/worker-process';

const ROOT = path.resolve(__dirname, '..');
let fleet: WorkerFleet;
let s3: SeaweedFSServer;
let s3Dir: string;
let config: ConveyorConfig;
let client: S3Client;

before(async () => {
  const weed = findSeaweedFS();
  assert.ok(weed, 'SeaweedFS is not built: `npm test` builds it (or `npm run seaweedfs`)');
  fleet = await startWorkerFleet('s3-lake');
  s3Dir = path.join(fleet.dataDir, 'seaweedfs');
  s3 = await startSeaweedFS({ weed, dir: s3Dir, buckets: ['lake', 'landing'] });
  Object.assign(fleet.workerEnv, s3.env, { CONVEYOR_LAKE_URL: 's3://lake/conveyor', CONVEYOR_LANDING_URL: 's3://landing/drops', CONVEYOR_DATA_DIR: path.join(fleet.dataDir, 'client') });
  // This process is a client too (it lands files, queries the lake): the same AWS_* variables.
  Object.assign(process.env, s3.env);
  config = loadConfig(fleet.workerEnv);
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
}, START_HOOK_OPTIONS);

after(async () => {
  client?.destroy();
  await s3?.stop();
  await fleet?.stop();
}, STOP_HOOK_OPTIONS);

/** A worker with its own data folder: nothing on disk is shared with the others. */
const startWorker = (name: string, queues: string) =>
  startWorkerProcess({ name, queues, env: { ...fleet.workerEnv, CONVEYOR_DATA_DIR: path.join(fleet.dataDir, name) }, logDir: fleet.dataDir });

/** Land a partition in the landing bucket as an upstream system would: files generated, uploaded, the marker last. */
async function land(partition: string, rows: number, files: number, faults: Parameters<typeof generateOrdersPartition>[0]['faults'] = []) {
  const landed = generateOrdersPartition({ landingDir: config.landingDir, partition, rows, files, faults });
  await landingOf(config).pushFolder(landed.dir, ordersPipeline.source.kind === 'files' ? ordersPipeline.source.marker : undefined);
  return landed;
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key!));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Call `check` every `everyMs` until it is true (true) or `timeoutMs` passes (false). */
async function pollUntil(check: () => Promise<boolean>, everyMs: number, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

const headPublished = (partition: string) =>
  client.send(new HeadObjectCommand({ Bucket: 'lake', Key: `conveyor/showroom/orders/partition_key=${partition}/data.parquet` })).catch(() => undefined);

/** The partition holds one published file, by `runId`, with `rows` rows, and the run's record says so. */
async function assertOnePublishedVersion(partition: string, runId: string, rows: number): Promise<void> {
  const keys = await keysUnder('lake', `conveyor/showroom/orders/partition_key=${partition}/`);
  assert.deepEqual(keys, [`conveyor/showroom/orders/partition_key=${partition}/data.parquet`]);
  assert.equal((await headPublished(partition))?.Metadata?.['conveyor-run-id'], runId);
  const registry = deploymentRegistry();
  const [data] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT order_id) AS d, any_value(run_id) AS r FROM showroom.orders WHERE partition_key = '${partition}'`, registry)).rows;
  assert.deepEqual(data, { n: String(rows), d: String(rows), r: runId });
  const records = (await queryLake(config, `SELECT run_id, status, rows_published FROM meta.partition_runs WHERE partition_key = '${partition}'`, registry)).rows;
  assert.deepEqual(records, [{ run_id: runId, status: 'succeeded', rows_published: String(rows) }]);
}

describe('the lake in S3, with workers that share no folder', () => {
  it('two workers run a 200-partition backfill from the landing bucket; npx conveyor sql answers meanwhile; the data is exact', async () => {
    const from = '2023-01-01';
    const to = addDays(from, 199);
    let expectedRows = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) expectedRows += (await land(d, 100, 2, ['duplicates'])).validOrders;
    const [a, b] = [await startWorker('worker-a', 'daily,backfill'), await startWorker('worker-b', 'daily,backfill')];

    const run = await startBackfill(fleet.env.client, { pipeline: 'orders', from, to, maxConcurrency: 8 }, { config, registry: deploymentRegistry() });
    // `npx conveyor sql` answers while the workers run, from its own local cache of the bucket.
    const { stdout } = await promisify(execFile)(process.execPath, conveyorArgv('sql', ['SELECT count(*) AS n FROM meta.partition_runs', '--json']), {
      cwd: ROOT,
      env: { ...fleet.workerEnv, CONVEYOR_DATA_DIR: path.join(fleet.dataDir, 'analyst') },
    });
    assert.match(stdout, /^\[\{"n":"?\d+"?\}\]\n$/);
    const result = await within('the backfill', 300_000, run.handle.result());
    assert.equal(result.succeeded, 200, JSON.stringify(result.failures.slice(0, 3)));

    const [totals] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders`, deploymentRegistry())).rows;
    assert.deepEqual(totals, { n: String(expectedRows), d: String(expectedRows), p: '200' });
    const [runs] = (await queryLake(config, `SELECT count(*) AS n, count(*) FILTER (WHERE status = 'succeeded') AS ok FROM meta.partition_runs`, deploymentRegistry())).rows;
    assert.deepEqual(runs, { n: '200', ok: '200' });
    assert.ok(publishedBy(a) > 0 && publishedBy(b) > 0, `both workers published (${publishedBy(a)} and ${publishedBy(b)})`);
    // `npx conveyor status` reads the run records and published files from the bucket too.
    const report = await statusReport(config, deploymentRegistry(), { serverUnavailable: 'not asked', days: 7, nowMs: Date.parse(`${addDays(to, 3)}T12:00:00Z`) });
    const orders = report.pipelines.find((p) => p.pipeline === 'orders')!;
    assert.equal(orders.newestPublished, to);
    const shown = orders.partitions.filter((p) => p.partition <= to);
    assert.ok(shown.length >= 4, JSON.stringify(orders.partitions));
    for (const p of shown) assert.ok(p.state === 'published' && p.rowsPublished! > 0, JSON.stringify(p));

    // Everything is in the bucket: the Hive layout, and nothing left in staging or half uploaded.
    const keys = await keysUnder('lake', 'conveyor/');
    assert.equal(keys.filter((k) => /^conveyor\/showroom\/orders\/partition_key=\d{4}-\d{2}-\d{2}\/data\.parquet$/.test(k)).length, 200);
    assert.deepEqual(keys.filter((k) => k.startsWith('conveyor/staging/')), [], 'staging is empty once the runs ended');
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }));
    assert.deepEqual(uploads.Uploads ?? [], []);
    await Promise.all([stopWorkerProcess(a), stopWorkerProcess(b)]);
  });

  it('a worker killed between its data write and its run record: the other finishes with one published version and a record that matches it', async (t) => {
    const partition = '2024-02-01';
    const landed = await land(partition, 3000, 2);
    const first = await startWorker('killed-after-publish', 'daily');
    const run = await startPartitionRun(fleet.env.client, { pipeline: 'orders', partition }, { config, registry: deploymentRegistry() });
    // Watch the bucket: the moment the run's file is published, the worker dies (its run record not written yet).
    const published = await pollUntil(async () => (await headPublished(partition))?.Metadata?.['conveyor-run-id'] === run.runId, 2);
    first.child.kill('SIGKILL');
    const recordedAtKill = (await keysUnder('lake', `conveyor/meta/partition_runs/orders/partition_key=${partition}/`)).length;
    t.diagnostic(`killed ${published ? 'after the publish' : 'before the publish'}; run records at the kill: ${recordedAtKill}`);

    const second = await startWorker('finisher-1', 'daily');
    const outcome = await within('the partition run', 180_000, waitForPartitionRun(run));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    await assertOnePublishedVersion(partition, run.runId, landed.validOrders);
    await stopWorkerProcess(second);
  });

  it('a worker killed during a multipart upload: the other finishes the partition, and no upload is left behind', async (t) => {
    const partition = '2024-02-02';
    // One file of ~25 MB: uploaded in parts of 8 MiB when ingest stages it in the bucket.
    const landed = await land(partition, 400_000, 1);
    const first = await startWorker('killed-mid-upload', 'daily');
    const run = await startPartitionRun(fleet.env.client, { pipeline: 'orders', partition }, { config, registry: deploymentRegistry() });
    const caught = await pollUntil(async () => ((await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }))).Uploads ?? []).length > 0, 2, 120_000);
    first.child.kill('SIGKILL');
    assert.ok(caught, 'an upload was in progress when the worker was killed');
    const left = (await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }))).Uploads ?? [];
    t.diagnostic(`uploads in progress at the kill: ${left.map((u) => u.Key).join(', ')}`);

    const second = await startWorker('finisher-2', 'daily');
    const outcome = await within('the partition run', 180_000, waitForPartitionRun(run));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    await assertOnePublishedVersion(partition, run.runId, landed.validOrders);
    assert.deepEqual((await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }))).Uploads ?? [], [], 'no upload left behind');
    assert.deepEqual(await keysUnder('lake', `conveyor/staging/orders/partition_key=${partition}/`), [], 'no staging left behind');
    await stopWorkerProcess(second);
  });

  it('the S3 server stopped for 20 s mid-backfill: steps fail transient, and the backfill finishes once it is back, nothing lost', async (t) => {
    const from = '2024-03-01';
    const to = addDays(from, 39);
    let expectedRows = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) expectedRows += (await land(d, 2000, 1)).validOrders;
    const workers = [await startWorker('outage-a', 'daily,backfill'), await startWorker('outage-b', 'daily,backfill')];
    const run = await startBackfill(fleet.env.client, { pipeline: 'orders', from, to, maxConcurrency: 4 }, { config, registry: deploymentRegistry() });
    const published = async () => (await keysUnder('lake', 'conveyor/showroom/orders/')).filter((k) => k >= `conveyor/showroom/orders/partition_key=${from}` && k <= `conveyor/showroom/orders/partition_key=${to}/~`).length;
    assert.ok(await pollUntil(async () => (await published()) >= 5, 100), 'the backfill got going');

    const before = await published();
    await s3.stop();
    await sleep(20_000);
    s3 = await startSeaweedFS({ weed: findSeaweedFS()!, dir: s3Dir, buckets: ['lake', 'landing'], s3Port: Number(new URL(s3.endpoint).port), secretAccessKey: s3.secretAccessKey });
    const result = await within('the backfill', 300_000, run.handle.result());
    t.diagnostic(`${before} partitions published before the outage`);

    assert.equal(result.succeeded, 40, JSON.stringify(result.failures.slice(0, 3)));
    const transient = workers.flatMap((w) => w.lines()).filter((l) => l.failureType === 'TransientFailure');
    assert.ok(transient.length > 0, 'steps failed transient while the store was away');
    t.diagnostic(`transient step failures: ${transient.length}, e.g. ${String(transient[0]?.err)}`);
    const where = `partition_key BETWEEN '${from}' AND '${to}'`;
    const [data] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders WHERE ${where}`, deploymentRegistry())).rows;
    assert.deepEqual(data, { n: String(expectedRows), d: String(expectedRows), p: '40' });
    const [records] = (await queryLake(config, `SELECT count(*) FILTER (WHERE status = 'succeeded') AS ok, count(DISTINCT partition_key) FILTER (WHERE status = 'succeeded') AS p FROM meta.partition_runs WHERE ${where}`, deploymentRegistry())).rows;
    assert.deepEqual(records, { ok: '40', p: '40' });
    await Promise.all(workers.map((w) => stopWorkerProcess(w)));
  });

  it('a worker refuses to start, in one line without the secret, when the bucket is unknown, the credentials wrong or the endpoint silent', async () => {
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      ['unknown bucket', { CONVEYOR_LAKE_URL: 's3://no-such-bucket/lake' }, /has no bucket "no-such-bucket"/],
      ['wrong credentials', { AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' }, /refused access .*check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/],
      ['silent endpoint', { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }, /does not answer/],
    ];
    for (const [name, env, expected] of cases) {
      const child = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], {
        cwd: ROOT,
        timeout: 60_000, // a worker that started anyway is killed, and the test fails below
        env: { ...fleet.workerEnv, ...env, CONVEYOR_DATA_DIR: path.join(fleet.dataDir, `bad-${name.replace(/ /g, '-')}`) },
      }).then(
        () => assert.fail(`${name}: the worker started`),
        (err: { code: number; stderr: string }) => err,
      );
      const lines = child.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${name}: ${child.stderr}`);
      assert.match(lines[0]!, expected, name);
      assert.ok(!child.stderr.includes(s3.secretAccessKey) && !child.stderr.includes('wrong-secret-value'), `${name}: no secret printed`);
      assert.equal(child.code, 1, name);
    }
  });
});
