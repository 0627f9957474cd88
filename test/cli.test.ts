/**
 * The CLIs' answer to bad input: one line naming the value and what is allowed, exit code 2,
 * nothing started (no server is even running here) and nothing written.
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { deploymentRegistry } from '../definitions/registry';

const ROOT = path.resolve(__dirname, '..');
/** The pipelines the CLIs know, as their errors list them: from the registry, never a hard-coded list. */
const KNOWN = deploymentRegistry().names().join(', ');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-cli-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Run `conveyor <command>`, or a file from the project root such as workers/main.ts. */
function cli(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const argv = command.includes('/') ? ['--import', 'tsx', path.join(ROOT, command), ...args] : conveyorArgv(command, args);
  const result = spawnSync(process.execPath, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    // An address where nothing listens: bad input must be refused before any connection.
    env: { ...process.env, CONVEYOR_DATA_DIR: dataDir, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
  });
  return { code: result.status, stderr: result.stderr.trim(), stdout: result.stdout.trim() };
}

/** Each case must be refused in exactly one line matching `expected`, with exit code 2. */
function itRefuses(script: string, cases: [string, string[], RegExp][]): void {
  for (const [name, args, expected] of cases) {
    it(`refuses ${name} in one line with exit code 2`, () => {
      const result = cli(script, args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.split('\n').length, 1, `one line, got: ${result.stderr}`);
      assert.match(result.stderr, expected);
    });
  }
}

describe('npm run partition: bad input', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown pipeline', ['ordres', '2024-01-01'], new RegExp(`^conveyor partition: unknown pipeline 'ordres' \\(known: ${KNOWN}\\)$`)],
    ['invalid date', ['orders', '2024-02-30'], /^conveyor partition: orders: partition '2024-02-30' is not a day as YYYY-MM-DD, e.g. 2024-03-01$/],
    ['not a date', ['orders', 'yesterday'], /^conveyor partition: orders: partition 'yesterday' is not a day as YYYY-MM-DD, e.g. 2024-03-01$/],
    ['future partition', ['orders', '2999-01-01'], /^conveyor partition: partition 2999-01-01 of orders is not available yet \(latest available: \d{4}-\d{2}-\d{2}/],
    ['no landing files', ['orders', '2020-01-01'], /^conveyor partition: orders\/2020-01-01 cannot run yet: no data files match .* in .*; pass --wait-for-data to wait for it$/],
    ['a downstream partition whose upstream is not published', ['daily_revenue', '2020-01-01'], /^conveyor partition: daily_revenue\/2020-01-01 cannot run yet: orders 2020-01-01 is not published yet; pass --wait-for-data to wait for it$/],
  ];
  itRefuses('partition', cases);
  it('writes nothing for refused input', () => {
    assert.equal(fs.existsSync(path.join(dataDir, 'lake')), false);
  });
  it('says how to start a server when none is reachable', () => {
    fs.mkdirSync(path.join(dataDir, 'landing/orders/date=2020-01-01'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'landing/orders/date=2020-01-01/part-0000.csv'), 'order_id\n');
    const result = cli('partition', ['orders', '2020-01-01']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot reach the Temporal server at 127\.0\.0\.1:1 .*npx conveyor server/);
  });
});

describe('npm run generate: bad input', () => {
  it('refuses a reversed range', () => {
    const result = cli('generate', ['--from', '2024-01-05', '--to', '2024-01-01']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'conveyor generate: --from 2024-01-05 is after --to 2024-01-01');
  });
  it('refuses an unknown fault', () => {
    const result = cli('generate', ['--from', '2024-01-01', '--to', '2024-01-01', '--fault', '2024-01-01=boom']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid --fault "2024-01-01=boom": expected KEY=KIND with KIND one of malformed, duplicates, no-marker$/);
  });
});

describe('npm run new-pipeline: bad input', () => {
  itRefuses('new-pipeline', [
    ['a name that is not an identifier', ['Team-Events'], /^conveyor new-pipeline: invalid pipeline name 'Team-Events': lower-case letters, digits and _, starting with a letter$/],
    ['a pipeline that exists', ['orders'], /^conveyor new-pipeline: pipeline 'orders' exists already \(in .*pipelines\/orders\)$/],
    ['an unknown scheme', ['x_feed', '--partitions', 'yearly'], /argument 'yearly' is invalid\. Allowed choices are hourly, daily, weekly, monthly, static/],
    ['an unknown source kind', ['x_feed', '--source', 'http'], /argument 'http' is invalid\. Allowed choices are csv, jsonl, parquet, upstream, function\.$/],
    ['a static key that is not safe', ['x_feed', '--partitions', 'static', '--keys', 'eu,EU'], /^conveyor new-pipeline: invalid --keys 'eu,EU': lower-case letters, digits, _ and -/],
    ['an unknown mapping', ['x_feed', '--source', 'upstream', '--mapping', 'sideways'], /^conveyor new-pipeline: invalid --mapping 'sideways': same, covering or window:N$/],
  ]);
  it('created nothing while refusing', () => assert.equal(fs.existsSync(path.join(ROOT, 'pipelines', 'x_feed')), false));
});

describe('npm run backfill: bad input', () => {
  const base = ['--pipeline', 'orders', '--from', '2024-01-01', '--to', '2024-01-31'];
  const cases: [string, string[], RegExp][] = [
    ['from after to', ['--pipeline', 'orders', '--from', '2024-02-01', '--to', '2024-01-01'], /^conveyor backfill: from 2024-02-01 is after to 2024-01-01$/],
    ['a date that is not a date', ['--pipeline', 'orders', '--from', '2024-02-30', '--to', '2024-03-01'], /^conveyor backfill: orders: from '2024-02-30' is not a day as YYYY-MM-DD, e.g. 2024-03-01$/],
    ['a range in the future', ['--pipeline', 'orders', '--from', '2024-01-01', '--to', '2999-01-01'], /^conveyor backfill: to 2999-01-01 is in the future for orders \(latest available partition: /],
    ['concurrency 0', [...base, '--concurrency', '0'], /^conveyor backfill: invalid concurrency "0": a whole number from 1 to 200$/],
    ['concurrency above the bound', [...base, '--concurrency', '201'], /^conveyor backfill: invalid concurrency "201": a whole number from 1 to 200$/],
    ['an unknown pipeline', ['--pipeline', 'ordres', '--from', '2024-01-01', '--to', '2024-01-02'], new RegExp(`^conveyor backfill: unknown pipeline 'ordres' \\(known: ${KNOWN}\\)$`)],
    ['an unknown reprocess mode', [...base, '--reprocess', 'some'], /argument 'some' is invalid\. Allowed choices are missing, failed, stale, all/],
    ['resize to 0', ['resize', 'backfill.orders.x', '0'], /^conveyor backfill: invalid concurrency "0": a whole number from 1 to 200$/],
  ];
  itRefuses('backfill', cases);
});

describe('npm run worker: bad input', () => {
  itRefuses('workers/main.ts', [
    ['an unknown queue', ['--queues', 'nightly'], /^conveyor worker: invalid --queues "nightly": expected daily, backfill or daily,backfill$/],
  ]);
  it('refuses a lake root that is not a writable folder in one line naming it, before connecting', () => {
    const file = path.join(dataDir, 'not-a-folder');
    fs.writeFileSync(file, '');
    const result = cli('workers/main.ts', ['--queues', 'daily'], { CONVEYOR_LAKE_DIR: path.join(file, 'lake') });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, `conveyor worker: the lake root ${file}/lake is not a writable folder (ENOTDIR); set CONVEYOR_LAKE_DIR to one`);
  });
});

describe("a transform's tool that is not installed", () => {
  const teamDir = path.join(dataDir, 'team-pipelines');
  const env = { CONVEYOR_PIPELINES_DIR: teamDir, CONVEYOR_DBT: path.join(dataDir, 'no-such-dbt') };
  it('a worker refuses to start, in one line naming the pipeline, the tool and how to install it', () => {
    fs.mkdirSync(teamDir, { recursive: true });
    assert.equal(cli('new-pipeline', ['team_models', '--transform', 'dbt'], env).code, 0);
    const result = cli('workers/main.ts', ['--queues', 'daily'], env);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, 'conveyor worker: pipeline team_models transforms with dbt, but dbt is not installed: run `npm run python-env` (dbt-core and dbt-duckdb into .tools/python), or set CONVEYOR_DBT to a dbt executable');
  });
  it('the Python worker refuses encrypted payloads in one line', () => {
    const codec = cli('python-worker', [], { CONVEYOR_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` });
    assert.equal(codec.code, 1, codec.stderr);
    assert.match(codec.stderr, /^conveyor python-worker: cannot start the Python worker: payloads are encrypted \(CONVEYOR_CODEC_KEYS\) and the Python worker cannot decrypt them/);
  });
  it('the Python worker refuses to serve a Spark job without Java, in one line naming it', () => {
    const sparkDir = path.join(dataDir, 'spark-pipelines');
    fs.mkdirSync(sparkDir, { recursive: true });
    const withSpark = { CONVEYOR_PIPELINES_DIR: sparkDir, JAVA_HOME: path.join(dataDir, 'no-such-java') };
    assert.equal(cli('new-pipeline', ['team_sessions', '--transform', 'spark'], withSpark).code, 0);
    const result = cli('python-worker', [], withSpark);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, `conveyor python-worker: cannot start the Python worker: Spark needs Java 17 or later and ${dataDir}/no-such-java/bin/java does not run: install it (Debian: apt install openjdk-17-jre-headless) or set JAVA_HOME`);
    const s3 = cli('workers/main.ts', ['--queues', 'daily'], { CONVEYOR_PIPELINES_DIR: sparkDir, CONVEYOR_LAKE_URL: 's3://lake/conveyor' });
    assert.equal(s3.code, 1, s3.stderr);
    assert.equal(s3.stderr, 'conveyor worker: pipeline team_sessions transforms with spark, but the lake is in S3 (CONVEYOR_LAKE_URL=s3://lake/conveyor) and Spark jobs write a lake folder: unset CONVEYOR_LAKE_URL, or use a python transform');
  });
  it('commands that run no transform work without it', () => {
    const result = cli('graph', [], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^team_models {2}/m);
  });
});

describe('npm run sql: bad input', () => {
  itRefuses('sql', [['two output formats', ['SELECT 1', '--json', '--csv'], /^conveyor sql: choose one of --json and --csv$/]]);
  it('names an unknown table in one line, exit code 1', () => {
    const result = cli('sql', ['SELECT * FROM showroom.ordres']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^conveyor sql: Catalog Error: Table with name ordres does not exist!/);
    assert.equal(result.stderr.split('\n').length, 1);
  });
  it('names a damaged partition file in one line, and other tables still answer', () => {
    const lakeDir = path.join(dataDir, 'damaged-lake');
    const file = path.join(lakeDir, 'showroom', 'orders', 'partition_key=2024-01-01', 'data.parquet');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'not parquet');
    const bad = cli('sql', ['SELECT count(*) FROM showroom.orders'], { CONVEYOR_LAKE_DIR: lakeDir });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.split('\n').length, 1, bad.stderr);
    assert.ok(bad.stderr.startsWith('conveyor sql: ') && bad.stderr.includes(file), bad.stderr);
    const other = cli('sql', ['SELECT count(*) AS n FROM meta.partition_runs', '--csv'], { CONVEYOR_LAKE_DIR: lakeDir });
    assert.equal(other.code, 0, other.stderr);
    assert.equal(other.stdout, 'n\n0');
  });
  it('answers on an empty lake with typed, empty tables', () => {
    const result = cli('sql', ['SELECT count(*) AS n FROM showroom.orders JOIN meta.partition_runs USING (run_id)', '--csv']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'n\n0');
  });
});

describe('npx conveyor notify, override, schedules, graph: bad input', () => {
  itRefuses('notify', [
    ['an unknown pipeline', ['ordres', '2024-01-01'], new RegExp(`^conveyor notify: unknown pipeline 'ordres' \\(known: ${KNOWN}\\)$`)],
    ['an invalid date', ['orders', '2024-13-01'], /^conveyor notify: orders: partition '2024-13-01' is not a day as YYYY-MM-DD, e.g. 2024-03-01$/],
  ]);
  itRefuses('override', [
    ['an unknown kind', ['delete', 'orders', '2024-01-01', '--reason', 'x'], /error: unknown command 'delete'/],
    ['a missing reason', ['skip', 'orders', '2024-01-01'], /error: required option '--reason <text>' not specified/],
    ['a blank reason', ['force', 'orders', '2024-01-01', '--reason', ' '], /^conveyor override: --reason is required: say why you force orders\/2024-01-01$/],
    ['a future partition', ['rerun', 'orders', '2999-01-01', '--reason', 'x'], /^conveyor override: partition 2999-01-01 of orders is not available yet/],
    ['a blank --by', ['skip', 'orders', '2024-01-01', '--reason', 'x', '--by', ' '], /^conveyor override: --by is blank: name who is acting$/],
  ]);
  itRefuses('schedules', [
    ['pause without a reason', ['pause', 'orders'], /error: required option '--reason <text>' not specified/],
    ['an unknown pipeline', ['trigger', 'ordres'], new RegExp(`^conveyor schedules: unknown pipeline 'ordres' \\(known: ${KNOWN}\\)$`)],
  ]);
  it('npx conveyor graph prints the pipelines', () => {
    const result = cli('graph', []);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^orders {2}\(.*\n {2}owner: {6}data-platform@conveyor\.example\n {2}partitions: daily from 2015-01-01; a partition is available 1 day\(s\) after it starts; freshness objective 30 h\n {2}schedule: {3}daily at 02:00 UTC, catch-up 7 day\(s\), overlap allow_all\n {2}source: {5}files \(csv /m);
    assert.match(result.stdout, /^daily_revenue {2}\(.*\n(.*\n){4} {2}upstream: {3}orders\n {2}downstream: -\n {2}stale: {6}none$/m);
    assert.match(cli('graph', ['--mermaid']).stdout, /^flowchart LR\n[\s\S]* {2}orders --> daily_revenue$/);
  });
});

describe('npx conveyor status, runs, dashboard: bad input and no server', () => {
  itRefuses('runs', [
    ['an unknown pipeline', ['ordres'], new RegExp(`^conveyor runs: unknown pipeline 'ordres' \\(known: ${KNOWN}\\)$`)],
    ['an invalid --partition', ['orders', '--partition', '2024-02-30'], /^conveyor runs: orders: --partition '2024-02-30' is not a day as YYYY-MM-DD, e.g. 2024-03-01$/],
    ['both --partition and --last', ['orders', '--partition', '2024-02-01', '--last', '3'], /^conveyor runs: choose one of --partition and --last$/],
    ['a bad --last', ['orders', '--last', '0'], /^conveyor runs: invalid --last "0": expected a whole number from 1 to 10000$/],
  ]);
  itRefuses('status', [['a bad --days', ['--days', 'x'], /^conveyor status: invalid --days "x": expected a whole number from 1 to 366$/]]);
  itRefuses('dashboard', [['a bad --port', ['--port', '99999'], /^conveyor dashboard: invalid --port "99999": expected a whole number from 1 to 65535$/]]);
  it('npx conveyor runs says when a pipeline has no runs', () => {
    const result = cli('runs', ['orders', '--last', '5']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^no runs of orders recorded in .*lake$/);
  });
  it('npx conveyor status shows the lake when the server is down, and says what it cannot know', () => {
    const started = Date.now();
    const result = cli('status', []);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - started < 30_000, 'does not hang on a server that is down');
    assert.match(result.stdout, /^orders {2}\(owner data-platform@conveyor\.example\)\n {2}newest published: -\n {2}freshness: {8}nothing published yet$/m);
    assert.match(result.stdout, /^ {2}backfills: {8}unknown \(server not reachable\)$/m);
    assert.match(result.stdout, /^Running partitions and backfills unknown: cannot reach the Temporal server at 127\.0\.0\.1:1 /m);
  });
});

describe('a reader that stops reading', () => {
  /** `conveyor <args> | head -1`, the reader gone before the command writes (as a closed pipe is): its exit code and stderr. */
  const intoClosedPipe = async (args: string[]) => {
    const [command, ...rest] = args;
    const child = spawn(process.execPath, conveyorArgv(command!, rest), { cwd: ROOT, env: { ...process.env, CONVEYOR_DATA_DIR: dataDir } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, stderr };
  };
  for (const args of [['--help'], ['graph'], ['sql', 'SELECT * FROM range(200000)', '--csv']]) {
    it(`conveyor ${args.join(' ')} into a closed pipe ends quietly, exit 0`, async () => {
      assert.deepEqual(await intoClosedPipe(args), { code: 0, stderr: '' });
    });
  }
});

describe('a lake in S3 that does not answer', () => {
  const s3 = { CONVEYOR_LAKE_URL: 's3://lake/conveyor', CONVEYOR_LANDING_URL: 's3://landing/drops', AWS_ACCESS_KEY_ID: 'key', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };
  /** An operational condition, not a bug: one line naming the endpoint and what to check, exit 1. */
  const itFailsInOneLine = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv, expected: RegExp) =>
    it(name, () => {
      const result = cli(command, args, { ...s3, ...env });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.split('\n').length, 1, `one line, got: ${result.stderr}`);
      assert.match(result.stderr, expected);
      assert.doesNotMatch(result.stderr, /secret/);
    });
  itFailsInOneLine('conveyor generate with no AWS_ENDPOINT_URL_S3 says AWS itself was asked', 'generate', ['orders', '--from', '2024-03-01', '--to', '2024-03-01'], { AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: '' },
    /^conveyor generate: the S3 endpoint AWS S3 for s3:\/\/landing\/drops does not answer \(\w+\): no AWS_ENDPOINT_URL_S3 is set/);
  itFailsInOneLine('conveyor partition while the S3 server is down names the endpoint', 'partition', ['orders', '2024-03-01'], { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' },
    /^conveyor partition: the S3 endpoint http:\/\/127\.0\.0\.1:1 for s3:\/\/\S+ does not answer \(ECONNREFUSED\): check AWS_ENDPOINT_URL_S3/);
});

describe('npm run worker: a metrics port in use', () => {
  it('is refused in one line naming CONVEYOR_METRICS_PORT', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')],
          { cwd: ROOT, env: { ...process.env, CONVEYOR_DATA_DIR: dataDir, TEMPORAL_ADDRESS: '127.0.0.1:1', CONVEYOR_METRICS_PORT: String(port) } },
          (_err: unknown, _stdout: string, stderr: string) => resolve({ code: child.exitCode, stderr: stderr.trim() }),
        );
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^conveyor worker: cannot serve metrics on port ${port} \\(CONVEYOR_METRICS_PORT\\): .*in use`));
      assert.equal(result.stderr.split('\n').length, 1);
    } finally {
      taken.close();
    }
  });
});
