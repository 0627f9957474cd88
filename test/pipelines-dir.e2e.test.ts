/**
 * A pipeline kept outside Conveyor's checkout (CONVEYOR_PIPELINES_DIR), as a team keeps its own:
 * scaffolded by `npx conveyor new-pipeline`, its generated test passing as generated, its sample data from
 * its own generator (or its rows from its own source function, offline), run end to end through
 * `npx conveyor partition` and a real worker process, without any edit to Conveyor's files. Definitions
 * that do not fit (two with one name, a broken one, an unknown upstream) stop the CLIs and the worker
 * in one line naming the folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NODE_TEST_FLAGS } from '../scripts/lib/test-files';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { runCli } from './helpers/cli';
import { startPythonWorker } from './helpers/python-worker';
import { startWorkerFleet, startWorkerProcess, type WorkerFleet } from './helpers/worker-process';

const ROOT = path.resolve(__dirname, '..');
let teamDir: string;
let fleet: WorkerFleet;

const cli = (script: string, args: string[], env: NodeJS.ProcessEnv) => runCli(script, args, env);

before(async () => {
  teamDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-team-pipelines-'));
  fleet = await startWorkerFleet('team', { CONVEYOR_PIPELINES_DIR: teamDir });
}, START_HOOK_OPTIONS);
after(async () => {
  await fleet?.stop();
  fs.rmSync(teamDir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

describe('pipelines in their own folder (CONVEYOR_PIPELINES_DIR)', () => {
  it('a scaffolded hourly JSON-lines pipeline: its test passes as generated, and it runs end to end through npx conveyor partition and a worker', { timeout: 300_000 }, async () => {
    const env = fleet.workerEnv;
    const before = spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const made = cli('new-pipeline', ['team_events', '--partitions', 'hourly', '--source', 'jsonl'], env);
    assert.equal(made.status, 0, made.stderr);
    assert.deepEqual(fs.readdirSync(path.join(teamDir, 'team_events')).sort(), ['definition.ts', 'generate.ts', 'team_events.test.ts', 'validate.sql']);
    assert.match(fs.readFileSync(path.join(teamDir, 'team_events', 'definition.ts'), 'utf8'), /from 'conveyor\/pipeline'/, 'one stable import, no path into Conveyor');

    const own = spawnSync(process.execPath, [...NODE_TEST_FLAGS, path.join(teamDir, 'team_events', 'team_events.test.ts')], { cwd: ROOT, env: { ...env, NODE_TEST_CONTEXT: undefined }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(own.status, 0, own.stdout + own.stderr);
    assert.match(own.stdout, /^# pass 1$/m);

    const generated = cli('generate', ['team_events', '--from', '2024-03-01T05', '--to', '2024-03-01T06'], env);
    assert.equal(generated.status, 0, generated.stderr);
    assert.match(generated.stderr, /generated 2 partition\(s\) of team_events, 200 rows/);

    await startWorkerProcess({ name: 'team-worker', queues: 'daily', env, logDir: teamDir });
    const ran = cli('partition', ['team_events', '2024-03-01T05'], env);
    assert.equal(ran.status, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /^✔ team_events\.2024-03-01T05 succeeded\n {2}rows in 100, published 100, rejected 0/m);
    assert.ok(fs.existsSync(path.join(fleet.config.lakeDir, 'showroom', 'team_events', 'partition_key=2024-03-01T05', 'data.parquet')));

    const graph = cli('graph', [], env);
    assert.match(graph.stdout, /^team_events {2}\(TODO: what team_events holds, for whom\.\)\n(.*\n) {2}partitions: hourly from 2024-01-01T00/m);
    assert.equal(spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout, before, "no file of Conveyor's checkout changed");
  });

  /** Scaffold `name` with `--transform <kind>`: its files as `expected`, its own test passing, then one partition run end to end by a worker. */
  async function scaffoldAndRun(name: string, kind: string, expected: string[]): Promise<string> {
    const env = { ...fleet.workerEnv, CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`, CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}`, CONVEYOR_PYTHON_TASK_QUEUE: `test-python-${randomUUID()}` };
    const made = cli('new-pipeline', [name, '--source', 'csv', '--transform', kind], env);
    assert.equal(made.status, 0, made.stderr);
    const folder = path.join(teamDir, name);
    assert.deepEqual(fs.readdirSync(folder, { recursive: true }).map(String).sort(), expected);
    const own = spawnSync(process.execPath, [...NODE_TEST_FLAGS, path.join(folder, `${name}.test.ts`)], { cwd: ROOT, env: { ...env, NODE_TEST_CONTEXT: undefined }, encoding: 'utf8', timeout: 240_000 });
    assert.equal(own.status, 0, own.stdout + own.stderr);
    assert.equal(cli('generate', [name, '--from', '2024-03-01', '--to', '2024-03-01'], env).status, 0);
    await startWorkerProcess({ name: `${name}-worker`, queues: 'daily', env, logDir: teamDir });
    const python = kind === 'python' || kind === 'spark' ? await startPythonWorker(env) : undefined;
    try {
      const ran = cli('partition', [name, '2024-03-01'], env);
      assert.equal(ran.status, 0, ran.stdout + ran.stderr + (python?.log() ?? ''));
      assert.match(ran.stdout, new RegExp(`^✔ ${name}\\.2024-03-01 succeeded\\n {2}rows in 100, published 100, rejected 0`, 'm'));
    } finally {
      await python?.stop();
    }
    return folder;
  }

  it('a scaffolded pipeline whose transform is a program (--transform command): its test passes as generated, and it runs end to end', { timeout: 300_000 }, async () => {
    const folder = await scaffoldAndRun('team_returns', 'command', ['definition.ts', 'generate.ts', 'team_returns.test.ts', 'transform.py']);
    assert.match(fs.readFileSync(path.join(folder, 'definition.ts'), 'utf8'), /transform: \{ kind: 'command', command: \['\.\/transform\.py'\], output: 'csv' \}/);
    assert.equal(fs.statSync(path.join(folder, 'transform.py')).mode & 0o111, 0o111, 'the script is executable');
  });

  it('a scaffolded pipeline whose transform is a dbt model (--transform dbt): its test passes as generated, and it runs end to end', { timeout: 300_000 }, async () => {
    const folder = await scaffoldAndRun('team_refunds', 'dbt', ['dbt_project.yml', 'definition.ts', 'generate.ts', 'models', 'models/schema.yml', 'models/team_refunds.sql', 'team_refunds.test.ts']);
    assert.match(fs.readFileSync(path.join(folder, 'definition.ts'), 'utf8'), /transform: \{ kind: 'dbt', model: 'team_refunds' \}/);
  });

  it('a scaffolded pipeline whose transform is a Python function (--transform python): its test passes as generated, and it runs end to end on a Python worker', { timeout: 300_000 }, async () => {
    const folder = await scaffoldAndRun('team_visits', 'python', ['definition.ts', 'generate.ts', 'team_visits.test.ts', 'transform.py']);
    assert.match(fs.readFileSync(path.join(folder, 'definition.ts'), 'utf8'), /transform: \{ kind: 'python', function: 'transform:rows' \}/);
  });

  it('a scaffolded pipeline whose transform is a PySpark job (--transform spark): its test passes as generated, and it runs end to end on a Python worker', { timeout: 400_000 }, async () => {
    const folder = await scaffoldAndRun('team_sessions', 'spark', ['definition.ts', 'generate.ts', 'job.py', 'team_sessions.test.ts']);
    assert.match(fs.readFileSync(path.join(folder, 'definition.ts'), 'utf8'), /transform: \{ kind: 'spark', job: 'job:rows' \}/);
  });

  it('scaffolded function-source pipelines (daily, and a static set): their tests pass as generated, offline, and the daily one runs end to end through npx conveyor partition and a worker', { timeout: 300_000 }, async () => {
    // Task queues of its own: the worker of the test above loaded its definitions before these existed.
    const env = { ...fleet.workerEnv, CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`, CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}` };
    const before = spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const offline = path.join(fleet.dataDir, 'no-fetch.cjs');
    fs.writeFileSync(offline, "globalThis.fetch = () => Promise.reject(new Error('no network in a scaffold\\'s own test'));\n");
    const scaffolds: [string, string, string[]][] = [
      ['team_sales', 'fetchTeamSales', ['--partitions', 'daily']],
      ['team_regions', 'fetchTeamRegions', ['--partitions', 'static', '--keys', 'eu,us']],
    ];
    for (const [name, fn, args] of scaffolds) {
      const made = cli('new-pipeline', [name, ...args, '--source', 'function'], env);
      assert.equal(made.status, 0, made.stderr);
      assert.deepEqual(fs.readdirSync(path.join(teamDir, name)).sort(), ['definition.ts', `${name}.test.ts`, 'validate.sql'], 'no generator: the source function makes the rows');
      const definition = fs.readFileSync(path.join(teamDir, name, 'definition.ts'), 'utf8');
      assert.match(definition, /from 'conveyor\/pipeline'/, 'one stable import, no path into Conveyor');
      assert.match(definition, new RegExp(`export const ${fn}: SourceFunction = async function\\* ${fn}\\(`));
      assert.match(definition, new RegExp(`source: \\{ kind: 'function', rows: ${fn}, columns: \\['id', 'amount', 'event_at'\\] \\}`));

      // Offline: its test runs with a fetch that throws.
      const own = spawnSync(process.execPath, [...NODE_TEST_FLAGS, '--require', offline, path.join(teamDir, name, `${name}.test.ts`)], { cwd: ROOT, env: { ...env, NODE_TEST_CONTEXT: undefined }, encoding: 'utf8', timeout: 120_000 });
      assert.equal(own.status, 0, own.stdout + own.stderr);
      assert.match(own.stdout, /^# pass 1$/m);
    }

    await startWorkerProcess({ name: 'team-function-worker', queues: 'daily', env, logDir: teamDir });
    const ran = cli('partition', ['team_sales', '2024-03-01'], env);
    assert.equal(ran.status, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /^✔ team_sales\.2024-03-01 succeeded\n {2}rows in 100, published 100, rejected 0/m);
    assert.ok(fs.existsSync(path.join(fleet.config.lakeDir, 'showroom', 'team_sales', 'partition_key=2024-03-01', 'data.parquet')));

    const graph = cli('graph', [], env);
    assert.match(graph.stdout, /^team_sales {2}\(TODO: what team_sales holds, for whom\.\)\n(.*\n){3} {2}source: {5}function fetchTeamSales \(columns id, amount, event_at\)$/m);
    assert.match(graph.stdout, /^team_regions {2}\(.*\)\n.*\n {2}partitions: static keys \(2\): eu, us;/m);
    assert.equal(spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout, before, "no file of Conveyor's checkout changed");
  });

  it('two definitions with one name, a broken definition, an unknown upstream: one line naming the folder, and nothing starts', { timeout: 180_000 }, async () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-bad-pipelines-'));
    const env = { ...fleet.workerEnv, CONVEYOR_PIPELINES_DIR: bad };
    const define = (folder: string, body: string) => {
      fs.mkdirSync(path.join(bad, folder), { recursive: true });
      fs.writeFileSync(path.join(bad, folder, 'definition.ts'), body);
    };
    const copyOfOrders = (name: string, extra = '') =>
      `import { definePipeline } from 'conveyor/pipeline';\nexport const p = definePipeline({ ...require(${JSON.stringify(path.join(ROOT, 'pipelines', 'orders', 'definition.ts'))}).ordersPipeline, name: '${name}'${extra} });\n`;
    try {
      define('orders_again', copyOfOrders('orders'));
      const twice = cli('graph', [], env);
      assert.equal(twice.status, 2);
      assert.equal(twice.stderr, `conveyor graph: pipeline 'orders' is defined twice (in pipelines/orders and in ${path.join(bad, 'orders_again')})\n`);

      fs.rmSync(path.join(bad, 'orders_again'), { recursive: true });
      define('broken', `import { definePipeline } from 'conveyor/pipeline';\nexport const p = definePipeline({ name: 'broken' } as never);\n`);
      const broken = cli('graph', [], env);
      assert.equal(broken.status, 2);
      assert.match(broken.stderr, new RegExp(`^conveyor graph: ${path.join(bad, 'broken').replace(/[/.]/g, '\\$&')}: pipeline 'broken': description: .*\n$`));
      const worker = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(worker.status, 2, worker.stdout + worker.stderr);
      assert.match(worker.stderr, /^conveyor worker: .*broken: pipeline 'broken': /);

      fs.rmSync(path.join(bad, 'broken'), { recursive: true });
      define('lonely', copyOfOrders('lonely', `, source: { kind: 'upstream', inputs: [{ pipeline: 'nowhere' }] }`));
      const lonely = cli('graph', [], env);
      assert.equal(lonely.status, 2);
      assert.match(lonely.stderr, /^conveyor graph: .*lonely: pipeline 'lonely': unknown upstream 'nowhere' \(known: .*\)\n$/);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });
});
