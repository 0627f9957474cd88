/**
 * A `python` transform with the lake and the landing zone in S3: the TypeScript worker, the Python
 * worker and the CLI each with a data folder of its own, so nothing is shared but the Temporal server and
 * the buckets of a real S3 server (SeaweedFS). The Python worker fetches the run's snapshot from the
 * lake bucket and puts its output back; the partition is published once, in the bucket.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { findSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../scripts/lib/seaweedfs';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { runCli } from './helpers/cli';
import { startPythonWorker, type PythonWorker } from './helpers/python-worker';
import { startWorkerFleet, startWorkerProcess, type WorkerFleet } from './helpers/worker-process';

let fleet: WorkerFleet;
let s3: SeaweedFSServer;
let env: NodeJS.ProcessEnv;
let python: PythonWorker | undefined;

before(async () => {
  const weed = findSeaweedFS();
  assert.ok(weed, 'SeaweedFS is not built: `npm test` builds it (or `npm run seaweedfs`)');
  fleet = await startWorkerFleet('python-s3');
  s3 = await startSeaweedFS({ weed, dir: path.join(fleet.dataDir, 'seaweedfs'), buckets: ['lake', 'landing'] });
  const teamDir = path.join(fleet.dataDir, 'team');
  fs.mkdirSync(teamDir);
  env = {
    ...fleet.workerEnv,
    ...s3.env,
    CONVEYOR_LAKE_URL: 's3://lake/conveyor',
    CONVEYOR_LANDING_URL: 's3://landing/drops',
    CONVEYOR_PIPELINES_DIR: teamDir,
    CONVEYOR_DATA_DIR: path.join(fleet.dataDir, 'cli'),
    CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`,
    CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}`,
    CONVEYOR_PYTHON_TASK_QUEUE: `test-python-${randomUUID()}`,
  };
}, START_HOOK_OPTIONS);
after(async () => {
  await python?.stop();
  await s3?.stop();
  await fleet?.stop();
}, STOP_HOOK_OPTIONS);

describe('a python transform on an S3 lake, sharing no folder', () => {
  it('the Python worker reads the snapshot from the bucket and puts its rows back; published once', { timeout: 300_000 }, async () => {
    const cli = (command: string, args: string[]) => runCli(command, args, env);
    assert.equal(cli('new-pipeline', ['s3_visits', '--source', 'csv', '--transform', 'python']).status, 0);
    const generated = cli('generate', ['s3_visits', '--from', '2024-03-01', '--to', '2024-03-01']);
    assert.equal(generated.status, 0, generated.all);
    await startWorkerProcess({ name: 'python-s3-worker', queues: 'daily', env: { ...env, CONVEYOR_DATA_DIR: path.join(fleet.dataDir, 'worker') }, logDir: fleet.dataDir });
    python = await startPythonWorker({ ...env, CONVEYOR_DATA_DIR: path.join(fleet.dataDir, 'python-worker') });
    assert.match(python.log(), /"lake":"s3:\/\/lake\/conveyor"/);
    const ran = cli('partition', ['s3_visits', '2024-03-01']);
    assert.equal(ran.status, 0, ran.all + python.log());
    assert.match(ran.stdout, /^✔ s3_visits\.2024-03-01 succeeded\n {2}rows in 100, published 100, rejected 0/m);
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'conveyor/showroom/s3_visits/partition_key=2024-03-01/' }));
      assert.deepEqual((listed.Contents ?? []).map((o) => o.Key!.split('/').pop()), ['data.parquet']);
    } finally {
      client.destroy();
    }
    const rows = cli('sql', ["SELECT count(*) AS n FROM showroom.s3_visits WHERE partition_key = '2024-03-01'", '--csv']);
    assert.equal(rows.stdout.trim(), 'n\n100', rows.all);
    assert.equal(fs.existsSync(path.join(fleet.dataDir, 'python-worker', 'lake')), false, 'the Python worker wrote no lake folder of its own');
  });
});
