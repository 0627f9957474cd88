/**
 * End to end on the production shape (`npx conveyor cluster`'s stack): the full Temporal server on
 * PostgreSQL with its SQL visibility store, separate daily and backfill worker processes, the CLIs,
 * and a reader, all configured by nothing but TEMPORAL_ADDRESS and the data dir. Also: the server
 * process SIGKILLed mid-backfill and restarted on the same database.
 *
 * Needs PostgreSQL (Debian's `postgresql`, or CONVEYOR_POSTGRES_URL) and Go (the server is built
 * into .tools/ by `npm test`); skipped with a one-line reason otherwise, unless
 * CONVEYOR_CLUSTER_TESTS=required (CI), where a missing prerequisite fails the suite.
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
import { loadConfig, type ConveyorConfig } from '../platform/config';
import { addDays } from '../common/partition-key';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { privatePostgresUnavailable } from '../scripts/lib/cluster/postgres';
import { freePort } from '../scripts/lib/ports';
import { startCluster, type RunningCluster } from '../scripts/lib/cluster/stack';
import { findClusterTools } from '../scripts/lib/cluster/tools';
import { readLakeThroughout } from './helpers/lake-reader';
import { publishedBy, startedWorkers, startWorkerProcess, stopWorkerProcess, type WorkerProcess } from './helpers/worker-process';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);

function prerequisiteMissing(): string | undefined {
  const postgresUrl = loadConfig().postgres;
  const noPostgres = postgresUrl ? undefined : privatePostgresUnavailable();
  if (noPostgres) return noPostgres;
  if (!findClusterTools()) return 'the Temporal server is not built (`npx conveyor cluster --tools` builds it; needs Go)';
  return undefined;
}
const missing = prerequisiteMissing();

/** With CONVEYOR_POSTGRES_URL, the suite uses databases of its own there, dropped at the end. */
function sharedPostgres() {
  const postgres = loadConfig().postgres;
  if (!postgres) return {};
  const name = `conveyor_test_${randomUUID().slice(0, 8)}`;
  return { postgres, databases: { main: name, visibility: `${name}_visibility`, dropOnStop: true } };
}
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
  const { stdout } = await run(process.execPath, conveyorArgv(script, args), { cwd: ROOT, env, maxBuffer: 64 << 20 });
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
      ...sharedPostgres(),
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
  }, START_HOOK_OPTIONS);

  after(async () => {
    for (const w of startedWorkers) w.kill('SIGKILL');
    await client?.connection.close();
    await cluster?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  }, STOP_HOOK_OPTIONS);

  it('serves the Web UI against the same server', async () => {
    assert.ok(cluster.uiUrl, 'the Web UI server started');
    const response = await fetch(`${cluster.uiUrl}/api/v1/namespaces/default/search-attributes`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { customAttributes?: Record<string, string> };
    for (const name of ['Pipeline', 'Partition', 'RunKind', 'BackfillId']) assert.ok(body.customAttributes?.[name], `search attribute ${name} registered`);
  });

  it('serves Temporal\'s HTTP API where it reports it (docs/services.md)', async () => {
    const response = await fetch(`${cluster.httpUrl}/api/v1/namespaces/default`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { namespaceInfo?: { name?: string } }).namespaceInfo?.name, 'default');
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
    const [totals] = (await queryLake(config, 'SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders', deploymentRegistry())).rows;
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
    const started = await startBackfill(client, { pipeline: 'orders', from, to: addDays(from, days - 1), maxConcurrency: 8 }, { config, registry: deploymentRegistry() });

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
    const [rows] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT (partition_key, order_id)) AS d, count(DISTINCT partition_key) AS p FROM showroom.orders WHERE ${partitions}`, deploymentRegistry())).rows;
    assert.deepEqual(rows, { n: String(wantRows), d: String(wantRows), p: String(days) }, 'exact data: no gap, no duplicate');
    // One run record per partition: each partition ran (and published) once, across the restart.
    const [runs] = (await queryLake(config, `SELECT count(*) AS n, count(DISTINCT partition_key) AS p FROM meta.partition_runs WHERE pipeline = 'orders' AND ${partitions}`, deploymentRegistry())).rows;
    assert.deepEqual(runs, { n: String(days), p: String(days) });
    assert.equal(await eventuallyCount(`WorkflowType = "partitionPipeline" AND BackfillId = "${started.backfillId}" AND ExecutionStatus = "Completed"`, days), days);
    for (const w of Object.values(workers)) await stopWorkerProcess(w);
  });
});

/** `npx conveyor cluster` itself, as a user runs it: up from nothing, Ctrl-C, a restart on the same state, a SIGKILL. */
// `npx conveyor cluster` with its private PostgreSQL (a CONVEYOR_POSTGRES_URL of the environment is not used here).
const privateMissing = missing ?? privatePostgresUnavailable();
describe('npx conveyor cluster', { skip: !required && privateMissing ? privateMissing : false }, () => {
  let home: string;
  let clusterEnv: NodeJS.ProcessEnv;
  const children = new Set<ChildProcess>();

  before(async () => {
    if (privateMissing) throw new Error(`CONVEYOR_CLUSTER_TESTS=required but ${privateMissing}`);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-cluster-cli-'));
    fs.chmodSync(home, 0o711);
    const { CONVEYOR_POSTGRES_URL: _shared, ...inherited } = process.env;
    clusterEnv = {
      ...inherited,
      CONVEYOR_DATA_DIR: home,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_UI_URL: `http://localhost:${await freePort()}`,
      TEMPORAL_HTTP_URL: `http://localhost:${await freePort()}`,
    };
  }, START_HOOK_OPTIONS);
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    // A cluster this suite failed to stop: its PostgreSQL goes with the folder only once stopped.
    spawnSync('sh', ['-c', `pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1); [ -d "${home}/cluster/postgres/data" ] && (runuser -u postgres -- "$pg_ctl" stop -D "${home}/cluster/postgres/data" -m immediate || "$pg_ctl" stop -D "${home}/cluster/postgres/data" -m immediate) >/dev/null 2>&1; true`]);
    fs.rmSync(home, { recursive: true, force: true });
  }, STOP_HOOK_OPTIONS);

  /** Start `npx conveyor cluster` in the background; resolves with its output once it is up. */
  async function up(args: string[] = []): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(process.execPath, conveyorArgv('cluster', args), { cwd: ROOT, env: clusterEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    for (const deadline = Date.now() + 120_000; !output.includes('Press Ctrl-C to stop.'); await sleep(200)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npx conveyor cluster did not come up:\n${output}`);
    }
    return { child, output: () => output };
  }
  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
  /** Processes whose command line mentions the test's folder: its PostgreSQL. */
  const leftovers = () => spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(home));
  /** The server's and the Web UI's process IDs, from their PID files. */
  const servicePids = () => ['temporal-server.pid', 'temporal-ui.pid'].map((f) => Number(fs.readFileSync(path.join(home, 'cluster', f), 'utf8')));
  /** Running (a zombie waiting to be reaped by init does not count). */
  const alive = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
    } catch {
      return false;
    }
  };

  it('comes up from nothing, serves Conveyor, and Ctrl-C stops everything it started', async () => {
    const first = await up();
    assert.match(first.output(), /Creating a private PostgreSQL cluster/);
    assert.match(first.output(), /search attribute BackfillId registered/);
    const uiUrl = String(clusterEnv.TEMPORAL_UI_URL);
    assert.equal((await fetch(uiUrl)).status, 200, 'the Web UI answers');
    const httpUrl = String(clusterEnv.TEMPORAL_HTTP_URL);
    assert.match(first.output(), new RegExp(`^HTTP API: ${httpUrl} `, 'm'));
    assert.equal((await fetch(`${httpUrl}/api/v1/system-info`)).status, 200, 'the HTTP API answers where TEMPORAL_HTTP_URL says');
    // Another cluster (or dev server) on the same address is refused in one line.
    const second = spawnSync(process.execPath, conveyorArgv('cluster', ['--exit']), {
      cwd: ROOT,
      env: { ...clusterEnv, CONVEYOR_DATA_DIR: path.join(home, 'other') },
      encoding: 'utf8',
    });
    assert.equal(second.status, 1);
    assert.match(second.stderr.trim(), /^conveyor cluster: a Temporal server already answers at 127\.0\.0\.1:\d+ .*set TEMPORAL_ADDRESS to another host:port$/m);
    // A second one on the same data dir is refused, and leaves the running one alone.
    const same = spawnSync(process.execPath, conveyorArgv('cluster', ['--exit']), { cwd: ROOT, env: clusterEnv, encoding: 'utf8' });
    assert.equal(same.status, 1);
    assert.match(same.stderr.trim(), /^conveyor cluster: conveyor cluster already runs for .* \(pid \d+\): stop it first, or use another CONVEYOR_DATA_DIR$/m);
    assert.equal((await fetch(uiUrl)).status, 200, 'the first one still serves');
    const pids = servicePids();
    first.child.kill('SIGINT');
    assert.equal(await exited(first.child), 130);
    assert.deepEqual(pids.map(alive), [false, false], 'the Temporal server and the Web UI stopped');
    assert.deepEqual(leftovers(), [], 'PostgreSQL stopped');
  });

  it('says in one line why it cannot use the PostgreSQL at CONVEYOR_POSTGRES_URL, without its password', () => {
    const result = spawnSync(process.execPath, conveyorArgv('cluster', ['--exit']), {
      cwd: ROOT,
      env: { ...clusterEnv, CONVEYOR_DATA_DIR: path.join(home, 'elsewhere'), CONVEYOR_POSTGRES_URL: 'postgres://temporal:hunter2@127.0.0.1:1' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    const last = result.stderr.trim().split('\n').pop()!;
    assert.match(last, /^conveyor cluster: temporal\/setup-schema\.sh failed \(exit 1\): .*127\.0\.0\.1:1: connect: connection refused/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  it('with --lake s3, the production shape with nothing shared on disk: its export lines are all a worker, npx conveyor generate and npx conveyor sql need', async () => {
    const cluster = await up(['--lake', 's3']);
    const exported = Object.fromEntries([...cluster.output().matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(Object.keys(exported).sort(), ['AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY', 'CONVEYOR_LAKE_URL', 'CONVEYOR_LANDING_URL', 'CONVEYOR_S3_FORCE_PATH_STYLE']);
    // Each process its own data folder: they share the Temporal server and the buckets only.
    const as = (name: string) => ({ ...clusterEnv, ...exported, CONVEYOR_DATA_DIR: path.join(home, name), CONVEYOR_TASK_QUEUE: 's3-daily' });
    // Each command is killed if it hangs (the test then fails instead of waiting forever).
    const tsx = (script: string, args: string[], name: string) => run(process.execPath, conveyorArgv(script, args), { cwd: ROOT, env: as(name), timeout: 120_000 });
    let worker: WorkerProcess | undefined;
    try {
    await tsx('generate', ['orders', '--from', '2024-05-01', '--to', '2024-05-01', '--rows', '300', '--files', '1'], 'upstream');
    worker = await startWorkerProcess({ name: 's3-worker', queues: 'daily', env: as('worker'), logDir: home });
    const partition = await tsx('partition', ['orders', '2024-05-01', '--json'], 'operator');
    assert.equal((JSON.parse(partition.stdout) as { status: string }).status, 'succeeded', partition.stdout);
    const sql = await tsx('sql', ["SELECT count(*) AS n, count(DISTINCT order_id) AS d FROM showroom.orders WHERE partition_key = '2024-05-01'", '--json'], 'analyst');
    const [row] = JSON.parse(sql.stdout) as { n: string; d: string }[];
    assert.ok(Number(row!.n) > 250 && row!.n === row!.d, sql.stdout);
    assert.ok(!fs.existsSync(path.join(home, 'cluster', 'lake')) && !fs.existsSync(path.join(home, 'lake')), 'no lake folder anywhere');
    } finally {
      // Released whatever failed: the worker, then the cluster with everything it started (Ctrl-C).
      if (worker) await stopWorkerProcess(worker);
      cluster.child.kill('SIGINT');
    }
    assert.equal(await exited(cluster.child), 130);
    assert.deepEqual(leftovers(), [], 'PostgreSQL and SeaweedFS stopped');
  });

  it('keeps its state across a restart, and a SIGKILLed run\'s processes are stopped by the next one', async () => {
    const again = await up();
    assert.doesNotMatch(again.output(), /Creating a private PostgreSQL cluster/);
    assert.match(again.output(), /search attribute BackfillId already registered/);
    const pids = servicePids();
    again.child.kill('SIGKILL');
    await exited(again.child);
    assert.deepEqual(pids.map(alive), [true, true], 'a SIGKILLed npx conveyor cluster cannot stop its server and UI');

    const next = spawnSync(process.execPath, conveyorArgv('cluster', ['--exit']), { cwd: ROOT, env: clusterEnv, encoding: 'utf8' });
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stderr, /Stopped the Temporal server an earlier npx conveyor cluster left running/);
    assert.match(next.stderr, /Stopped the Web UI server an earlier npx conveyor cluster left running/);
    assert.match(next.stderr, /A private PostgreSQL from an earlier run is still up; restarting it/);
    assert.deepEqual(pids.map(alive), [false, false]);
    assert.deepEqual(leftovers(), []);
  });
});
