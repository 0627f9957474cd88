/**
 * The lake and the landing zone in S3 (CONVEYOR_LAKE_URL, CONVEYOR_LANDING_URL), end to end: real
 * worker processes whose CONVEYOR_DATA_DIRs are different folders, so nothing is shared but the
 * Temporal server and the buckets of a real S3 server (SeaweedFS, built into .tools/ by `npm test`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startBackfill } from '../client/backfills';
import { queryLake } from '../client/lake';
import { loadConfig, type ConveyorConfig } from '../common/config';
import { addDays } from '../common/partition-key';
import { landingOf } from '../landing/landing-zone';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { ordersPipeline } from '../pipelines/orders/definition';
import { deploymentRegistry } from '../pipelines/registry';
import { findSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../scripts/lib/seaweedfs';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { publishedBy, startWorkerFleet, startWorkerProcess, stopWorkerProcess, type WorkerFleet } from './helpers/worker-process';

const ROOT = path.resolve(__dirname, '..');
let fleet: WorkerFleet;
let s3: SeaweedFSServer;
let config: ConveyorConfig;
let client: S3Client;

before(async () => {
  const weed = findSeaweedFS();
  assert.ok(weed, 'SeaweedFS is not built: `npm test` builds it (or `npm run seaweedfs`)');
  fleet = await startWorkerFleet('s3-lake');
  s3 = await startSeaweedFS({ weed, dir: path.join(fleet.dataDir, 'seaweedfs'), buckets: ['lake', 'landing'] });
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

describe('the lake in S3, with workers that share no folder', () => {
  it('two workers run a 200-partition backfill from the landing bucket; npm run sql answers meanwhile; the data is exact', async () => {
    const from = '2023-01-01';
    const to = addDays(from, 199);
    let expectedRows = 0;
    for (let d = from; d <= to; d = addDays(d, 1)) expectedRows += (await land(d, 100, 2, ['duplicates'])).validOrders;
    const [a, b] = [await startWorker('worker-a', 'daily,backfill'), await startWorker('worker-b', 'daily,backfill')];

    const run = await startBackfill(fleet.env.client, { pipeline: 'orders', from, to, maxConcurrency: 8 }, { config, registry: deploymentRegistry() });
    // `npm run sql` answers while the workers run, from its own local cache of the bucket.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'sql.ts'), 'SELECT count(*) AS n FROM meta.partition_runs', '--json'], {
      cwd: ROOT,
      env: { ...fleet.workerEnv, CONVEYOR_DATA_DIR: path.join(fleet.dataDir, 'analyst') },
    });
    assert.match(stdout, /^\[\{"n":"?\d+"?\}\]\n$/);
    const result = await run.handle.result();
    assert.equal(result.succeeded, 200, JSON.stringify(result.failures.slice(0, 3)));

    const [totals] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders`, deploymentRegistry())).rows;
    assert.deepEqual(totals, { n: String(expectedRows), d: String(expectedRows), p: '200' });
    const [runs] = (await queryLake(config, `SELECT count(*) AS n, count(*) FILTER (WHERE status = 'succeeded') AS ok FROM meta.partition_runs`, deploymentRegistry())).rows;
    assert.deepEqual(runs, { n: '200', ok: '200' });
    assert.ok(publishedBy(a) > 0 && publishedBy(b) > 0, `both workers published (${publishedBy(a)} and ${publishedBy(b)})`);

    // Everything is in the bucket: the Hive layout, and nothing left in staging or half uploaded.
    const keys = await keysUnder('lake', 'conveyor/');
    assert.equal(keys.filter((k) => /^conveyor\/showroom\/orders\/partition_key=\d{4}-\d{2}-\d{2}\/data\.parquet$/.test(k)).length, 200);
    assert.deepEqual(keys.filter((k) => k.startsWith('conveyor/staging/')), [], 'staging is empty once the runs ended');
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }));
    assert.deepEqual(uploads.Uploads ?? [], []);
    await Promise.all([stopWorkerProcess(a), stopWorkerProcess(b)]);
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
