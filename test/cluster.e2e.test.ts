/**
 * End to end on the production shape (`npm run cluster`'s stack): the full Temporal server on
 * PostgreSQL with its SQL visibility store, separate daily and backfill worker processes, the CLIs,
 * and a reader, all configured by nothing but TEMPORAL_ADDRESS and the data dir. Also: the server
 * process SIGKILLed mid-backfill and restarted on the same database.
 *
 * Needs PostgreSQL (Debian's `postgresql`, or CONVEYOR_POSTGRES_URL) and Go (the server is built
 * into .tools/ by `npm test`); skipped with a one-line reason otherwise, unless
 * CONVEYOR_CLUSTER_TESTS=required (CI), where a missing prerequisite fails the suite.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { startBackfill } from '../client/backfills';
import { connectClient } from '../client/connect';
import { queryLake } from '../client/lake';
import { loadConfig, type ConveyorConfig } from '../common/config';
import { addDays } from '../common/partition-key';
import { generateOrdersPartition } from '../landing/generate-orders';
import { privatePostgresUnavailable } from '../scripts/lib/cluster/postgres';
import { freePort } from '../scripts/lib/ports';
import { startCluster, type RunningCluster } from '../scripts/lib/cluster/stack';
import { findClusterTools } from '../scripts/lib/cluster/tools';
import { readLakeThroughout } from './helpers/lake-reader';
import { publishedBy, startedWorkers, startWorkerProcess, stopWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);

function prerequisiteMissing(): string | undefined {
  const postgresUrl = loadConfig().postgres;
  const noPostgres = postgresUrl ? undefined : privatePostgresUnavailable();
  if (noPostgres) return noPostgres;
  if (!findClusterTools()) return 'the Temporal server is not built (`npm run cluster -- --tools` builds it; needs Go)';
  return undefined;
}
const missing = prerequisiteMissing();
const required = process.env.CONVEYOR_CLUSTER_TESTS === 'required';
if (missing && !required) console.error(`# skipping the cluster end-to-end suite: ${missing}`);

let cluster: RunningCluster;
let stateDir: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let config: ConveyorConfig;
let client: Client;
const workers: Record<'daily' | 'backfillA' | 'backfillB', WorkerProcess> = {} as never;

/** Generate `days` partitions from `from` into the landing zone; expected valid rows per partition. */
function land(from: string, days: number, rows: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let d = from, i = 0; i < days; d = addDays(d, 1), i += 1) {
    expected.set(d, generateOrdersPartition({ landingDir: config.landingDir, partition: d, rows, files: 2, faults: ['duplicates'] }).validOrders);
  }
  return expected;
}

/** Visibility is written asynchronously: poll the count until it is `want` (or time runs out). */
async function eventuallyCount(query: string, want: number): Promise<number> {
  let count = -1;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(500)) {
    try {
      count = (await client.workflow.count(query)).count;
    } catch (err) {
      throw new Error(`count ${query}: ${String((err as Error).cause ?? err)}`);
    }
    if (count === want) break;
  }
  return count;
}

/** A CLI as a user runs it (`npm run <script> -- ...`), with only the environment to point it at the cluster. */
async function cli(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', `${script}.ts`), ...args], { cwd: ROOT, env, maxBuffer: 64 << 20 });
  return stdout;
}

describe('Conveyor on the full Temporal server and PostgreSQL', { skip: !required && missing ? missing : false }, () => {
  before(async () => {
    if (missing) throw new Error(`CONVEYOR_CLUSTER_TESTS=required but ${missing}`);
    // The private PostgreSQL runs as the postgres user when tests run as root: it must enter the folder.
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-cluster-'));
    fs.chmodSync(stateDir, 0o711);
    dataDir = path.join(stateDir, 'conveyor');
    cluster = await startCluster({
      tools: findClusterTools()!,
      stateDir,
      postgres: loadConfig().postgres,
      address: `127.0.0.1:${await freePort()}`,
      internalPorts: 'free',
      uiPort: await freePort(),
      namespace: 'default',
      progress: () => undefined,
    });
    // What a user sets to move from the dev server to this stack: the address. Task queues, namespace
    // and everything else keep their defaults.
    env = { ...process.env, TEMPORAL_ADDRESS: cluster.address, CONVEYOR_DATA_DIR: dataDir };
    for (const name of Object.keys(env)) if (/^CONVEYOR_(TASK_QUEUE|BACKFILL_TASK_QUEUE|LAKE_DIR)$/.test(name)) delete env[name];
    config = loadConfig(env);
    client = await connectClient(config);
    workers.daily = await startWorkerProcess({ name: 'daily', queues: 'daily', env, logDir: stateDir });
    workers.backfillA = await startWorkerProcess({ name: 'backfill-a', queues: 'backfill', env, logDir: stateDir });
    workers.backfillB = await startWorkerProcess({ name: 'backfill-b', queues: 'backfill', env, logDir: stateDir });
  });

  after(async () => {
    for (const w of startedWorkers) w.kill('SIGKILL');
    await client?.connection.close();
    await cluster?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves the Web UI against the same server', async () => {
    assert.ok(cluster.uiUrl, 'the Web UI server started');
    const response = await fetch(`${cluster.uiUrl}/api/v1/namespaces/default/search-attributes`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { customAttributes?: Record<string, string> };
    for (const name of ['Pipeline', 'Partition', 'RunKind', 'BackfillId']) assert.ok(body.customAttributes?.[name], `search attribute ${name} registered`);
  });

  it('runs a 200-partition backfill on two backfill workers while a daily run and a reader go on: exact data, runs findable in visibility', async () => {
    const from = '2022-01-01';
    const expected = land(from, 200, 200);
    const dailyPartition = '2022-09-01';
    const dailyExpected = land(dailyPartition, 1, 500).get(dailyPartition)!;
    const reader = readLakeThroughout(config, new Map([...expected, [dailyPartition, dailyExpected]]));

    const backfill = cli('backfill', ['--pipeline', 'orders', '--from', from, '--to', addDays(from, 199), '--concurrency', '8', '--json']);
    // A daily run, through the CLI, while the backfill holds the backfill pool.
    await workers.backfillA.waitForLine((l) => l.msg === 'publish succeeded');
    const daily = await cli('partition', ['orders', dailyPartition]);
    assert.match(daily, /succeeded/);
    const backfillDoneBefore = publishedBy(workers.backfillA) + publishedBy(workers.backfillB);
    const status = JSON.parse(await backfill) as { backfillId: string; succeeded: number; failed: number; state: string };
    const { reads, errors } = await reader.stop();

    assert.equal(status.state, 'completed');
    assert.equal(status.succeeded, 200);
    assert.ok(backfillDoneBefore < 200, `the daily run finished while the backfill was still running (${backfillDoneBefore}/200 done)`);
    assert.deepEqual(errors, [], 'every read saw whole partitions');
    assert.ok(reads > 3, `the reader read throughout (${reads} reads)`);
    const wantRows = [...expected.values()].reduce((a, b) => a + b, 0) + dailyExpected;
    const [totals] = (await queryLake(config, 'SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders')).rows;
    assert.deepEqual(totals, { n: String(wantRows), d: String(wantRows), p: '201' });
    assert.ok(publishedBy(workers.backfillA) > 0 && publishedBy(workers.backfillB) > 0, 'both backfill workers published');
    assert.equal(publishedBy(workers.backfillA) + publishedBy(workers.backfillB), 200);
    assert.equal(publishedBy(workers.daily), 1, 'the daily worker ran the daily partition, and only it');

    // The server's SQL visibility store finds the runs by Conveyor's search attributes.
    assert.equal(await eventuallyCount(`WorkflowType = "partitionPipeline" AND Pipeline = "orders" AND BackfillId = "${status.backfillId}" AND RunKind = "backfill" AND ExecutionStatus = "Completed"`, 200), 200);
    // `Partition` needs backticks on SQL visibility (a bare one is the SQL keyword); README says so.
    assert.equal(await eventuallyCount(`Pipeline = "orders" AND \`Partition\` = "${dailyPartition}" AND RunKind = "manual"`, 1), 1);
    assert.equal(await eventuallyCount(`\`Partition\` = "${addDays(from, 17)}" AND BackfillId = "${status.backfillId}"`, 1), 1);
  });

  it('survives the Temporal server SIGKILLed mid-backfill and restarted on the same database: every partition published once', async (t) => {
    const from = '2021-01-01';
    const days = 200;
    const expected = land(from, days, 100);
    const before = publishedBy(workers.backfillA) + publishedBy(workers.backfillB);
    const started = await startBackfill(client, { pipeline: 'orders', from, to: addDays(from, days - 1), maxConcurrency: 8 }, { config });

    // Kill the server once a fifth of the partitions are published, and start it again after 3 s.
    while (publishedBy(workers.backfillA) + publishedBy(workers.backfillB) - before < days / 5) await sleep(100);
    await cluster.server().kill('SIGKILL');
    const killedAt = publishedBy(workers.backfillA) + publishedBy(workers.backfillB) - before;
    await sleep(3_000);
    const restartedAt = Date.now();
    await cluster.restartServer();
    t.diagnostic(`server killed after ${killedAt}/${days} partitions; restarted in ${Date.now() - restartedAt} ms`);

    let result: Awaited<ReturnType<typeof started.handle.result>> | undefined;
    for (let attempt = 1; !result; attempt += 1) {
      try {
        result = await started.handle.result();
      } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(2_000);
      }
    }
    assert.equal(result.succeeded, days, JSON.stringify(result.failures.slice(0, 3)));
    assert.equal(result.failed, 0);

    const partitions = `partition_key BETWEEN '${from}' AND '${addDays(from, days - 1)}'`;
    const wantRows = [...expected.values()].reduce((a, b) => a + b, 0);
    const [rows] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders WHERE ${partitions}`)).rows;
    assert.deepEqual(rows, { n: String(wantRows), d: String(wantRows), p: String(days) }, 'exact data: no gap, no duplicate');
    // One run record per partition: each partition ran (and published) once, across the restart.
    const [runs] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT partition_key) AS p FROM meta.partition_runs WHERE pipeline = 'orders' AND ${partitions}`)).rows;
    assert.deepEqual(runs, { n: String(days), p: String(days) });
    assert.equal(await eventuallyCount(`WorkflowType = "partitionPipeline" AND BackfillId = "${started.backfillId}" AND ExecutionStatus = "Completed"`, days), days);
    for (const w of Object.values(workers)) await stopWorkerProcess(w);
  });
});
