/**
 * Pipeline names and partition keys never escape the landing or lake roots nor reach SQL unescaped,
 * through every entry point: the CLIs, the client API and a workflow started directly with raw input.
 * And a property-based test (fast-check, fixed seed, bounded) that drives the client API and the CLIs
 * with random arguments: every case ends in success or a one-line error, never a stack trace or a hang.
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WorkflowFailedError } from '@temporalio/client';
import { preflightBackfill } from '../client/backfills';
import { partitionRuns } from '../client/lake';
import { checkOverride } from '../client/overrides';
import { preflightPartitionRun } from '../client/partition-runs';
import { loadConfig } from '../platform/config';
import { LakeLayout, UnsafeLakePath } from '../lake/layout';
import { InputError } from '../common/errors';
import { filesUnder, startHarness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';

const ROOT = path.resolve(__dirname, '..');
const SEED = 20261127;
const API_CASES = 2000;
const CLI_CASES = 24;

const HOSTILE_PIPELINES = ['../etc', 'orders/../../x', "orders'; DROP VIEW showroom.orders; --", 'orders"', 'ORDERS', '', ' orders', 'orders\u0000', '..', '/tmp', 'a'.repeat(300)];
/** Keys no scheme has, that no path, ID or SQL may hold: refused at every boundary, the workflow's input included. */
const HOSTILE_PARTITIONS = ['../../etc/passwd', "2024-03-01' OR '1'='1", '2024-03-01/../x', '2024-03-01\u0000', '..', '/2024-03-01', ''];
/** Safe as a path, but not keys of orders' scheme (days): refused by the client, and by a run's first step as a code failure. */
const WRONG_SCHEME = ['2024-3-1', '99999-01-01', '2024-03-01T05', 'eu'];

let h: Harness;
let tmp: string;
before(async () => {
  h = await startHarness();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-hostile-'));
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

/** A refusal the user sees: an InputError (or a lake path refused), one line. */
function assertOneLineRefusal(err: unknown): true {
  assert.ok(err instanceof InputError || err instanceof UnsafeLakePath, `expected a one-line refusal, got ${String(err)}`);
  assert.ok(!(err as Error).message.includes('\n'), `one line: ${(err as Error).message}`);
  return true;
}

describe('hostile pipeline names and partition keys', () => {
  it('are refused by the client API before anything is read, written or started', async () => {
    const options = { config: h.config, registry: h.registry };
    for (const pipeline of HOSTILE_PIPELINES) {
      assert.throws(() => preflightPartitionRun({ pipeline, partition: '2024-03-01', runKind: 'manual' }, options), assertOneLineRefusal);
      assert.throws(() => preflightBackfill({ pipeline, from: '2024-03-01', to: '2024-03-02' }, options), assertOneLineRefusal);
      assert.throws(() => checkOverride('skip', { pipeline, partition: '2024-03-01', reason: 'x' }, options), assertOneLineRefusal);
      await assert.rejects(partitionRuns(h.config, pipeline, '2024-03-01', h.registry), assertOneLineRefusal);
    }
    for (const partition of [...HOSTILE_PARTITIONS, ...WRONG_SCHEME]) {
      assert.throws(() => preflightPartitionRun({ pipeline: 'orders', partition, runKind: 'manual' }, options), assertOneLineRefusal);
      assert.throws(() => preflightBackfill({ pipeline: 'orders', from: partition, to: '2024-03-02' }, options), assertOneLineRefusal);
      await assert.rejects(partitionRuns(h.config, 'orders', partition, h.registry), assertOneLineRefusal);
    }
    const layout = new LakeLayout(h.config.lakeDir);
    for (const pipeline of HOSTILE_PIPELINES) assert.throws(() => layout.publishedFile(pipeline, '2024-03-01'), (e) => e instanceof UnsafeLakePath);
    for (const partition of HOSTILE_PARTITIONS) assert.throws(() => layout.publishedFile('orders', partition), (e) => e instanceof UnsafeLakePath);
  });

  it('are refused by a workflow started directly with raw input, before any step runs', async () => {
    const cases = [
      ...HOSTILE_PIPELINES.map((pipeline) => ({ pipeline, partition: '2024-03-01' })),
      ...HOSTILE_PARTITIONS.map((partition) => ({ pipeline: 'orders', partition })),
    ];
    for (const [i, c] of cases.entries()) {
      const input = { ...c, runKind: 'manual' };
      await assert.rejects(
        h.env.client.workflow.execute('partitionPipeline', { taskQueue: h.config.taskQueue, workflowId: `hostile-${i}`, args: [input] }),
        (err: Error) => err instanceof WorkflowFailedError && /invalid (pipeline|partition)=/.test(String(err.cause?.message)),
      );
    }
    const stepsRun = h.logLines.filter((l) => typeof l.msg === 'string' && / started$/.test(l.msg) && l.step);
    assert.deepEqual(stepsRun, [], 'no step ran');

    // A key of another scheme passes the workflow's input check (it knows no definition) and is
    // refused when the run resolves its pipeline, in one line, as a code failure: nothing is read or written.
    for (const [i, partition] of WRONG_SCHEME.entries()) {
      const input = { pipeline: 'orders', partition, runKind: 'manual' };
      await assert.rejects(
        h.env.client.workflow.execute('partitionPipeline', { taskQueue: h.config.taskQueue, workflowId: `wrong-scheme-${i}`, args: [input] }),
        (err: Error) =>
          err instanceof WorkflowFailedError &&
          new RegExp(`failed at awaitLanding \\(code failure\\): orders: partition '${partition}' is not a day as YYYY-MM-DD, e.g. 2024-03-01$`).test(String(err.cause?.message)),
      );
    }
    assert.deepEqual(filesUnder(path.join(h.config.lakeDir, 'showroom')), [], 'nothing published');
  });

  it('are refused by the CLIs in one line, and nothing lands outside the roots', () => {
    const dataDir = path.join(tmp, 'cli');
    const run = (script: string, args: string[]) =>
      spawnSync(process.execPath, conveyorArgv(script, args), {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, CONVEYOR_DATA_DIR: dataDir, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      });
    const attempts: [string, string[]][] = [
      ['partition', ['../etc', '2024-03-01']],
      ['partition', ['orders', '../../etc/passwd']],
      ['notify', ["orders'; --", '2024-03-01']],
      ['notify', ['orders', '2024-03-01/../x']],
      ['override', ['skip', '../orders', '2024-03-01', '--reason', 'x']],
      ['runs', ['orders', '--partition', "2024-03-01' OR '1'='1"]],
      ['runs', ['../orders']],
      ['backfill', ['--pipeline', '../../x', '--from', '2024-03-01', '--to', '2024-03-02']],
      ['generate', ['--from', '../x', '--to', '2024-03-02']],
    ];
    for (const [script, args] of attempts) {
      const result = run(script, args);
      assert.equal(result.status, 2, `${script} ${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
    const written = fs.existsSync(dataDir) ? (fs.readdirSync(dataDir, { recursive: true }) as string[]) : [];
    assert.deepEqual(written.filter((f) => /passwd|etc|\.\./.test(f)), []);
    assert.ok(!fs.existsSync(path.join(tmp, 'etc')) && !fs.existsSync(path.join(tmp, 'x')));
  });
});

describe('fuzz: random arguments end in success or a one-line error', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(...HOSTILE_PIPELINES, ...HOSTILE_PARTITIONS, 'orders', 'daily_revenue', '2024-03-01', '2024-02-29', '2023-02-29'),
  );

  it(`the client API (${API_CASES} cases, seed ${SEED})`, () => {
    const options = { config: h.config, registry: h.registry, now: () => Date.parse('2024-06-01T00:00:00Z') };
    let accepted = 0;
    fc.assert(
      fc.property(text, text, text, fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), (pipeline, from, to, concurrency) => {
        for (const call of [
          () => preflightPartitionRun({ pipeline, partition: from, runKind: 'manual' }, options),
          () => preflightBackfill({ pipeline, from, to, maxConcurrency: concurrency as number }, options),
          () => checkOverride('rerun', { pipeline, partition: from, reason: to }, options),
        ]) {
          try {
            call();
            accepted += 1;
          } catch (err) {
            assertOneLineRefusal(err);
          }
        }
      }),
      { seed: SEED, numRuns: API_CASES },
    );
    console.log(`# fuzz: ${API_CASES} client API cases (${API_CASES * 3} calls, ${accepted} accepted), seed ${SEED}`);
  });

  it(`the CLIs (${CLI_CASES} cases, seed ${SEED})`, () => {
    const config = loadConfig({ CONVEYOR_DATA_DIR: path.join(tmp, 'fuzz') });
    const scripts = ['partition', 'backfill', 'runs', 'notify', 'override', 'status', 'graph', 'schedules.ts'];
    const argv = fc.array(fc.oneof(text, fc.constantFrom('--from', '--to', '--pipeline', '--last', '--partition', '--json', '--reason', '--concurrency', 'status', 'plan', 'skip', 'list')), { maxLength: 6 });
    let cases = 0;
    fc.assert(
      fc.property(fc.constantFrom(...scripts), argv, (script, args) => {
        cases += 1;
        const started = Date.now();
        const result = spawnSync(process.execPath, conveyorArgv(script, args.map((a) => a.replace(/\u0000/g, ''))), {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, CONVEYOR_DATA_DIR: config.dataDir, TEMPORAL_ADDRESS: '127.0.0.1:1' },
        });
        assert.ok(Date.now() - started < 30_000 && result.signal === null, `${script} ${JSON.stringify(args)} hung`);
        assert.ok(!/\n\s+at .*\(.*:\d+:\d+\)/.test(result.stderr), `${script} ${JSON.stringify(args)} printed a stack trace:\n${result.stderr}`);
        assert.ok(!/this is a bug/.test(result.stderr), `${script} ${JSON.stringify(args)}: ${result.stderr}`);
        // A failure is one short error, or the usage text (a command given no subcommand).
        const usage = /^Usage: /m.test(result.stderr);
        if (result.status !== 0 && !usage) assert.ok(result.stderr.trim().split('\n').length <= 2, `${script} ${JSON.stringify(args)}: short error, got:\n${result.stderr}`);
      }),
      { seed: SEED, numRuns: CLI_CASES },
    );
    console.log(`# fuzz: ${cases} CLI cases, seed ${SEED}`);
  });
});
