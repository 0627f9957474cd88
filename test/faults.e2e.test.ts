/**
 * Faults survived, with real worker processes on a real local Temporal server and a real lake
 * (the server killed mid-backfill is in test/cluster.e2e.test.ts, a worker killed inside publish in
 * test/many-workers.e2e.test.ts):
 * - two workers on the same queues, one SIGKILLed mid-backfill: the other finishes it, data exact;
 * - a hung local step (its worker frozen, never returning) is caught by the workflow task timeout and run again;
 * - SIGTERM lets a running step finish, then the worker exits cleanly;
 * - overlapping operators (two overlapping backfills and a rerun, started together): no partition runs
 *   twice at once, and the data is exact;
 * - a worker that cannot reach the server retries with backoff and says so.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startBackfill } from '../client/backfills';
import { queryLake } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import type { ConveyorConfig } from '../platform/config';
import { addDays } from '../common/partition-key';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { publishedBy, startedWorkers, startWorkerFleet, type WorkerFleet, startWorkerProcess, stopWorkerProcess } from './helpers/worker-process';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

let fleet: WorkerFleet;
let env: WorkerFleet['env'];
let dataDir: string;
let config: ConveyorConfig;
let workerEnv: NodeJS.ProcessEnv;

before(async () => {
  fleet = await startWorkerFleet('faults');
  ({ env, dataDir, config, workerEnv } = fleet);
}, START_HOOK_OPTIONS);
after(async () => {
  await fleet?.stop();
}, STOP_HOOK_OPTIONS);

const startWorker = (name: string, queues = 'daily,backfill', extraEnv: NodeJS.ProcessEnv = {}) =>
  startWorkerProcess({ name, queues, env: { ...workerEnv, ...extraEnv }, logDir: dataDir });

/** Land `days` partitions from `from`; returns the valid orders expected per partition. */
function land(from: string, days: number, rows = 200): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < days; i++) {
    const d = addDays(from, i);
    expected.set(d, generateOrdersPartition({ landingDir: config.landingDir, partition: d, rows, files: 1, faults: ['duplicates'] }).validOrders);
  }
  return expected;
}

/** Published rows per partition in [from, to], and whether any order is there twice. */
async function published(from: string, to: string) {
  const { rows } = await queryLake(
    config,
    `SELECT partition_key, count(*) AS n, count(DISTINCT order_id) AS d FROM showroom.orders WHERE partition_key BETWEEN '${from}' AND '${to}' GROUP BY 1 ORDER BY 1`,
    deploymentRegistry(),
  );
  return new Map(rows.map((r) => [String(r.partition_key), { n: Number(r.n), d: Number(r.d) }]));
}

function assertExact(actual: Map<string, { n: number; d: number }>, expected: Map<string, number>): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], 'every partition published');
  for (const [p, n] of expected) assert.deepEqual(actual.get(p), { n, d: n }, `${p}: exactly its rows, no duplicates`);
}

describe('faults', () => {
  // A failed test must not leave its workers polling into the next one.
  beforeEach(() => {
    for (const w of startedWorkers) w.kill('SIGKILL');
  });

  it('two workers on the same queues, one SIGKILLed mid-backfill: the other finishes it, both worked, data exact', async (t) => {
    const from = '2022-01-01';
    const expected = land(from, 60);
    const [a, b] = [await startWorker('same-a'), await startWorker('same-b')];
    const run = await startBackfill(env.client, { pipeline: 'orders', from, to: addDays(from, 59), maxConcurrency: 8 }, { config, registry: deploymentRegistry() });
    // Kill `a` while it holds work: after it has published a few and started another step.
    await a.waitForLine(() => publishedBy(a) >= 5);
    const inFlight = new Set(a.lines().filter((l) => / started$/.test(String(l.msg))).map((l) => String(l.partition)));
    for (const l of a.lines()) if (l.msg === 'publish succeeded') inFlight.delete(String(l.partition));
    const killedAt = Date.now();
    await stopWorkerProcess(a, 'SIGKILL');
    const result = await run.handle.result();
    const recoveredMs = Date.now() - killedAt;
    assert.equal(result.succeeded, 60, JSON.stringify(result.failures.slice(0, 3)));
    assertExact(await published(from, addDays(from, 59)), expected);
    assert.ok(publishedBy(a) > 0 && publishedBy(b) > 0, `both worked (${publishedBy(a)} and ${publishedBy(b)})`);
    const { rows } = await queryLake(config, `SELECT partition_key, count(*) AS runs FROM meta.partition_runs WHERE partition_key BETWEEN '${from}' AND '${addDays(from, 59)}' AND status = 'succeeded' GROUP BY 1 HAVING count(*) > 1`, deploymentRegistry());
    assert.deepEqual(rows, [], 'every partition published by one run');
    t.diagnostic(`killed with ${inFlight.size} partition(s) in flight; the backfill finished ${recoveredMs} ms later`);
    assert.ok(recoveredMs < 90_000, `finished within 90 s of the kill (${recoveredMs} ms)`);
    await stopWorkerProcess(b);
  });

  it('a hung local step (its worker frozen, never returning) is caught by the workflow task timeout and run again elsewhere', async (t) => {
    const partition = '2022-06-01';
    const [expectedRows] = land(partition, 1, 20_000).values();
    const frozen = await startWorker('frozen', 'daily');
    const run = await startPartitionRun(env.client, { pipeline: 'orders', partition, runKind: 'manual' }, { config, registry: deploymentRegistry() });
    await frozen.waitForLine((l) => l.msg === 'transform started' && l.partition === partition);
    frozen.child.kill('SIGSTOP'); // hung: alive, holding the step and its workflow task, never answering
    const hungAt = Date.now();
    const healthy = await startWorker('healthy', 'daily');
    const outcome = await waitForPartitionRun(run);
    const tookMs = Date.now() - hungAt;
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    // A small partition's transform is a local activity: the run's workflow task timed out on the frozen
    // worker, and the healthy one replayed the run and ran its local steps again.
    assert.ok(healthy.lines().some((l) => l.msg === 'transform succeeded' && l.partition === partition), 'the healthy worker ran transform');
    t.diagnostic(`partition done ${tookMs} ms after the freeze`);
    assert.ok(tookMs < 150_000, `within 150 s (${tookMs} ms)`);
    // Thawed, the frozen worker's transform may finish late: it lost its workflow task, so nothing it
    // staged is ever published, and the partition holds the healthy worker's data.
    frozen.child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 2_000));
    assertExact(await published(partition, partition), new Map([[partition, expectedRows!]]));
    await stopWorkerProcess(frozen, 'SIGKILL');
    await stopWorkerProcess(healthy);
  });

  it('SIGTERM lets the running step finish, then the worker exits cleanly', async () => {
    const partition = '2022-07-01';
    const [expectedRows] = land(partition, 1, 200_000).values();
    const worker = await startWorker('draining', 'daily');
    const run = await startPartitionRun(env.client, { pipeline: 'orders', partition, runKind: 'manual' }, { config, registry: deploymentRegistry() });
    await worker.waitForLine((l) => l.msg === 'transform started' && l.partition === partition);
    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    worker.child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, 'a clean exit');
    assert.ok(worker.lines().some((l) => l.msg === 'transform succeeded' && l.partition === partition), 'the running step finished first');
    assert.ok(worker.lines().some((l) => l.msg === 'worker stopped'));
    // The rest of the partition runs on the next worker.
    const next = await startWorker('next', 'daily');
    assert.equal((await waitForPartitionRun(run)).status, 'succeeded');
    assertExact(await published(partition, partition), new Map([[partition, expectedRows!]]));
    await stopWorkerProcess(next);
  });

  it('overlapping operators (two overlapping backfills and a rerun, together): no partition runs twice at once; data exact', async () => {
    const from = '2022-03-01';
    const expected = land(from, 30);
    const worker = await startWorker('operators');
    const [first, second, rerun] = await Promise.all([
      startBackfill(env.client, { pipeline: 'orders', from, to: addDays(from, 19), maxConcurrency: 6 }, { config, registry: deploymentRegistry() }),
      startBackfill(env.client, { pipeline: 'orders', from: addDays(from, 10), to: addDays(from, 29), maxConcurrency: 6 }, { config, registry: deploymentRegistry() }),
      startPartitionRun(env.client, { pipeline: 'orders', partition: addDays(from, 15), runKind: 'manual' }, { config, registry: deploymentRegistry() }),
    ]);
    const [r1, r2, r3] = await Promise.all([first.handle.result(), second.handle.result(), waitForPartitionRun(rerun)]);
    // Each backfill accounts for all its partitions: run by it (or attached to the run going), or
    // skipped because the other had already published them.
    assert.deepEqual([r1.succeeded + r1.skipped, r2.succeeded + r2.skipped], [20, 20]);
    assert.deepEqual([r1.failures, r2.failures, r3.status], [[], [], 'succeeded']);
    assertExact(await published(from, addDays(from, 29)), expected);
    const { rows } = await queryLake(
      config,
      `SELECT a.partition_key, a.run_id AS a, b.run_id AS b FROM meta.partition_runs a JOIN meta.partition_runs b
         ON a.partition_key = b.partition_key AND a.run_id < b.run_id AND a.started_at < b.finished_at AND b.started_at < a.finished_at
       WHERE a.partition_key BETWEEN '${from}' AND '${addDays(from, 29)}'`,
      deploymentRegistry(),
    );
    assert.deepEqual(rows, [], 'no two runs of one partition overlapped in time');
    await stopWorkerProcess(worker);
  });

  it('a worker that cannot reach the server retries with backoff and says so', async () => {
    const worker = startWorkerProcess({ name: 'no-server', queues: 'daily', env: { ...workerEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' }, logDir: dataDir }).catch((e: Error) => e);
    const logFile = path.join(dataDir, 'no-server.log');
    const deadline = Date.now() + 30_000;
    let retries: { delayMs: number }[] = [];
    while (retries.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
      retries = lines.map((l) => { try { return JSON.parse(l) as { msg: string; delayMs: number }; } catch { return undefined; } }).filter((l) => l?.msg === 'Temporal server not reachable yet; retrying') as { delayMs: number }[];
    }
    assert.ok(retries.length >= 3, `retried and logged it (${retries.length} lines)`);
    assert.ok(retries[2]!.delayMs > retries[0]!.delayMs, 'with growing delays');
    for (const w of startedWorkers) w.kill('SIGKILL');
    await worker;
  });
});
