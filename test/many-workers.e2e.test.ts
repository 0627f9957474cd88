/**
 * End to end with real worker processes (`workers/main.ts`, as `npx conveyor worker` starts them) on a
 * real local Temporal server and a real lake: two backfill workers and readers at once, and a worker
 * killed during publish.
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startBackfill } from '../client/backfills';
import { queryLake } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import type { ConveyorConfig } from '../platform/config';
import { addDays } from '../common/partition-key';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { LakeLayout } from '../lake/layout';
import { filesUnder } from './helpers/harness';
import { readLakeThroughout } from './helpers/lake-reader';
import { publishedBy, startedWorkers, startWorkerFleet, type WorkerFleet, startWorkerProcess, stopWorkerProcess } from './helpers/worker-process';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

const ROOT = path.resolve(__dirname, '..');
let fleet: WorkerFleet;
let env: WorkerFleet['env'];
let dataDir: string;
let config: ConveyorConfig;
let workerEnv: NodeJS.ProcessEnv;

before(async () => {
  fleet = await startWorkerFleet('workers');
  ({ env, dataDir, config, workerEnv } = fleet);
}, START_HOOK_OPTIONS);
after(async () => {
  await fleet?.stop();
}, STOP_HOOK_OPTIONS);

/** Start `workers/main.ts --queues <queues>` as `npx conveyor worker` does; resolves once it polls. */
const startWorker = (name: string, queues: string) => startWorkerProcess({ name, queues, env: workerEnv, logDir: dataDir });

describe('the lake with several worker processes', () => {
  it('two backfill workers and readers run a 200-partition backfill together: no lock error, exact data', async () => {
    const from = '2023-01-01';
    const to = addDays(from, 199);
    let expectedRows = 0;
    const expectedByPartition = new Map<string, number>();
    for (let d = from; d <= to; d = addDays(d, 1)) {
      const landed = generateOrdersPartition({ landingDir: config.landingDir, partition: d, rows: 200, files: 2, faults: ['duplicates'] });
      expectedRows += landed.validOrders;
      expectedByPartition.set(d, landed.validOrders);
    }
    const [a, b] = [await startWorker('backfill-a', 'backfill'), await startWorker('backfill-b', 'backfill')];

    // A reader queries the published table throughout: every partition it sees is whole.
    const reader = readLakeThroughout(config, expectedByPartition);

    const run = await startBackfill(env.client, { pipeline: 'orders', from, to, maxConcurrency: 8 }, { config, registry: deploymentRegistry() });
    // `npx conveyor sql` answers while the workers run.
    const { stdout } = await promisify(execFile)(process.execPath, conveyorArgv('sql', ['SELECT count(*) AS n FROM meta.partition_runs', '--json']), {
      cwd: ROOT,
      env: workerEnv,
    });
    assert.match(stdout, /^\[\{"n":"?\d+"?\}\]\n$/);
    const result = await run.handle.result();
    const { reads, errors: readErrors } = await reader.stop();

    assert.equal(result.succeeded, 200, JSON.stringify(result.failures.slice(0, 3)));
    assert.deepEqual(readErrors, []);
    assert.ok(reads > 3, `the reader read throughout (${reads} reads)`);
    const [totals] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders`, deploymentRegistry())).rows;
    assert.deepEqual(totals, { n: String(expectedRows), d: String(expectedRows), p: '200' });
    assert.ok(publishedBy(a) > 0 && publishedBy(b) > 0, `both workers published (${publishedBy(a)} and ${publishedBy(b)})`);
    assert.equal(publishedBy(a) + publishedBy(b), 200);
    for (const w of [a, b]) assert.equal(w.lines().filter((l) => /lock/i.test(String(l.err ?? l.msg))).length, 0, 'no lock errors');

    const lake = new LakeLayout(config.lakeDir);
    assert.deepEqual(filesUnder(path.join(lake.root, 'staging')), [], 'staging is empty once the runs ended');
    const strays = filesUnder(path.join(lake.root, 'showroom')).filter((f) => path.basename(f) !== 'data.parquet');
    assert.deepEqual(strays, [], 'no temp or lock files beside the published partitions');
    await Promise.all([stopWorkerProcess(a), stopWorkerProcess(b)]);
  });

  it('a worker killed during publish leaves the old file or the new one, and the rerun completes on restart', async (t) => {
    const partition = '2023-09-01';
    const lake = new LakeLayout(config.lakeDir);
    const first = await startWorker('daily-1', 'daily');
    const oldLanded = generateOrdersPartition({ landingDir: config.landingDir, partition, rows: 1000, files: 1 });
    const oldRun = await waitForPartitionRun(await startPartitionRun(env.client, { pipeline: 'orders', partition }, { config, registry: deploymentRegistry() }));
    assert.equal(oldRun.status, 'succeeded');

    const newLanded = generateOrdersPartition({ landingDir: config.landingDir, partition, rows: 5000, files: 2 });
    const rerun = await startPartitionRun(env.client, { pipeline: 'orders', partition }, { config, registry: deploymentRegistry() });
    // Freeze the worker the moment publish starts, then kill it: it dies inside the step.
    await first.waitForLine((l) => l.msg === 'publish started' && l.runId === rerun.runId);
    first.child.kill('SIGSTOP');
    await stopWorkerProcess(first, 'SIGKILL');

    // Frozen inside publish: the rename has not happened yet if the clean file is still staged.
    const stagedAtKill = filesUnder(lake.partitionStagingDir('orders', partition)).filter((f) => f.includes('clean'));
    const countNow = async () => Number((await queryLake(config, `SELECT count(*) AS n FROM showroom.orders WHERE partition_key = '${partition}'`, deploymentRegistry())).rows[0]!.n);
    const countAtKill = await countNow();
    assert.ok([oldLanded.validOrders, newLanded.validOrders].includes(countAtKill), 'the old partition or the new one, never a part');
    if (stagedAtKill.length > 0) assert.equal(countAtKill, oldLanded.validOrders, 'killed before its commit: the old partition stands whole');

    const startedAgain = Date.now();
    const second = await startWorker('daily-2', 'daily');
    const outcome = await waitForPartitionRun(rerun);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.ok(Date.now() - startedAgain < 60_000, `resumed within a minute (${Date.now() - startedAgain} ms)`);
    const retried = second.lines().find((l) => l.msg === 'publish succeeded' && l.partition === partition);
    t.diagnostic(`killed ${stagedAtKill.length > 0 ? 'before' : 'after'} the commit; resumed in ${Date.now() - startedAgain} ms; publish succeeded at attempt ${String(retried?.attempt)}`);
    const [row] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT order_id) AS d, any_value(run_id) AS r FROM showroom.orders WHERE partition_key = '${partition}'`, deploymentRegistry())).rows;
    assert.deepEqual(row, { n: String(newLanded.validOrders), d: String(newLanded.validOrders), r: rerun.runId });
    assert.deepEqual(filesUnder(lake.partitionStagingDir('orders', partition)), [], 'the killed attempt left no staging behind');
    await stopWorkerProcess(second);
  });
});
