/**
 * The `command` transform end to end: a real server and worker, landed files, and a program in another
 * language (test/fixtures/commands/currency_totals.py) as the transform. Its output is published by
 * the commit rule like SQL's; its exit code is its failure class; a cancelled run leaves no process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { partitionRuns } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { definePipeline, partitionLandingDir } from '../pipelines/sdk';
import { PipelineRegistry } from '../definitions/registry';
import { alive, pidsFrom } from './helpers/pids';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

const SCRIPT = path.join(__dirname, 'fixtures', 'commands', 'currency_totals.py');
const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-command-'));

const currencyTotals = definePipeline({
  name: 'currency_totals',
  description: "A day's orders per currency, summed by a Python program.",
  owner: 'finance@example.com',
  partitions: { kind: 'daily', first: '2024-01-01', lag: 1 },
  source: { kind: 'files', format: 'csv', filePattern: /^part-\d+\.csv$/, columns: ['order_id', 'currency', 'amount'], marker: '_SUCCESS' },
  table: { columns: [{ name: 'currency', type: 'VARCHAR' }, { name: 'orders', type: 'BIGINT' }, { name: 'revenue', type: 'DECIMAL(14,2)' }], uniqueKey: ['currency'] },
  transform: { kind: 'command', command: [SCRIPT], output: 'csv', env: { CONTROL_DIR: controlDir } },
  quality: { maxRejectedRatio: 0.5 },
  steps: { timeoutSeconds: 120, maxAttempts: 3 },
});

let h: Harness;
before(async () => {
  h = await startHarness({ registry: withReadiness(new PipelineRegistry([currencyTotals]), { currency_totals: { pollIntervalSeconds: 1, timeoutSeconds: 30 } }) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
  fs.rmSync(controlDir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

/** Land a day's orders (one line with an amount that is not a number) and say how the command behaves on it. */
function land(partition: string, behaviour = 'ok'): void {
  const dir = partitionLandingDir(h.config.landingDir, currencyTotals, partition);
  fs.mkdirSync(dir, { recursive: true });
  const lines = ['order_id,currency,amount', '1,EUR,10.50', '2,EUR,4.25', '3,USD,7.00', '4,GBP,not-a-number', '5,USD,1.00'];
  fs.writeFileSync(path.join(dir, 'part-0000.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
  fs.writeFileSync(path.join(controlDir, partition), behaviour);
}

async function run(partition: string) {
  const started = await startPartitionRun(h.env.client, { pipeline: 'currency_totals', partition, runKind: 'manual' }, { config: h.config, registry: h.registry });
  return { started, outcome: await waitForPartitionRun(started) };
}

const published = (partition: string) =>
  h.query<{ currency: string; orders: bigint; revenue: string; run_id: string }>(
    `SELECT currency, orders, revenue::VARCHAR AS revenue, run_id FROM showroom.currency_totals WHERE partition_key = '${partition}' ORDER BY currency`,
  );

describe('a command in another language as the transform', () => {
  it("publishes the program's rows, keeps its rejects, and records which command ran", async () => {
    land('2024-03-01');
    const { started, outcome } = await run('2024-03-01');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    const rows = await published('2024-03-01');
    assert.deepEqual(rows.map((r) => [r.currency, r.orders, r.revenue]), [['EUR', 2n, '14.75'], ['USD', 2n, '8.00']]);
    assert.ok(rows.every((r) => r.run_id === started.runId));
    const rejects = await h.query<{ stage: string; reason: string }>(`SELECT stage, reason FROM quality.rejects WHERE partition_key = '2024-03-01'`);
    assert.deepEqual(rejects, [{ stage: 'transform', reason: "amount 'not-a-number' is not a number" }]);
    const [record] = await partitionRuns(h.config, 'currency_totals', '2024-03-01', h.registry);
    assert.equal(record!.transform?.kind, 'command');
    assert.match(record!.transform!.engine, /^command .*currency_totals\.py \(sha256 [0-9a-f]{12}\)$/);
    assert.deepEqual([record!.rows_published, record!.rows_rejected], [2, 1]);
  });

  it('a rerun replaces the partition, never adds to it', async () => {
    const { started, outcome } = await run('2024-03-01');
    assert.equal(outcome.status, 'succeeded');
    const rows = await published('2024-03-01');
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.run_id === started.runId));
  });

  it('exit 75 is transient: retried, then published', async () => {
    land('2024-03-02', 'transient-once');
    const { outcome } = await run('2024-03-02');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    if (outcome.status === 'succeeded') assert.equal(outcome.result.attempts.transform, 2);
  });

  it('exit 65 is data: not retried, its stderr the reason, nothing published', async () => {
    land('2024-03-03', 'data');
    const { outcome } = await run('2024-03-03');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.step, outcome.failure.attempt], ['data', 'transform', 1]);
    assert.match(outcome.failure.reason, /currency_totals\.py exited 65: 2024-03-03: every amount is negative: the export is broken$/);
    assert.deepEqual(await published('2024-03-03'), []);
  });

  it('any other exit is code, with the end of its stderr (the exception)', async () => {
    land('2024-03-04', 'crash');
    const { outcome } = await run('2024-03-04');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.attempt], ['code', 1]);
    assert.match(outcome.failure.reason, /exited 1: .*ZeroDivisionError: division by zero$/);
  });

  it('output without a declared column, or with values of another type, is code naming the column', async () => {
    land('2024-03-05', 'missing-column');
    const missing = await run('2024-03-05');
    assert.equal(missing.outcome.status, 'failed');
    if (missing.outcome.status === 'failed') {
      assert.equal(missing.outcome.failure.failureClass, 'code');
      assert.match(missing.outcome.failure.reason, /the command .*currency_totals\.py of currency_totals yields no column revenue \(DECIMAL\(14,2\)\); it yields currency, orders/);
    }
    land('2024-03-06', 'mistyped');
    const mistyped = await run('2024-03-06');
    assert.equal(mistyped.outcome.status, 'failed');
    if (mistyped.outcome.status === 'failed') {
      assert.equal(mistyped.outcome.failure.failureClass, 'code');
      assert.match(mistyped.outcome.failure.reason, /yields column orders with 2 value\(s\) that are not BIGINT, e\.g\. 'many'/);
    }
  });

  it('a cancelled run kills the program and what it started: no process left', async () => {
    land('2024-03-07', 'hang');
    const started = await startPartitionRun(h.env.client, { pipeline: 'currency_totals', partition: '2024-03-07', runKind: 'manual' }, { config: h.config, registry: h.registry });
    const pids = await pidsFrom(path.join(controlDir, '2024-03-07.pids'), 60_000);
    await started.handle.cancel();
    await assert.rejects(started.handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
    for (let waited = 0; pids.some(alive); waited += 200) {
      // The step learns of the cancellation from its next heartbeat's answer (the SDK throttles heartbeats).
      assert.ok(waited < 45_000, `processes ${pids.filter(alive).join(', ')} still running`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
