/**
 * The `python` transform end to end: a real server, Conveyor's TypeScript worker, and its Python worker
 * (the Temporal Python SDK, python/) as a process of its own on its own task queue, running a Polars
 * function of a pipeline's folder (test/fixtures/python/). Published once with the right rows, rejects
 * kept, each failure class reached and classed, a cancelled run stops the function's process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { partitionRuns } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { definePipeline, partitionLandingDir } from '../pipelines/sdk';
import { PipelineRegistry } from '../definitions/registry';
import { startPythonWorker, type PythonWorker } from './helpers/python-worker';
import { alive, pidsFrom } from './helpers/pids';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

const FOLDER = path.join(__dirname, 'fixtures', 'python');
const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-python-'));
const taskQueue = `test-python-${randomUUID()}`;

const pythonTotals = definePipeline({
  name: 'python_totals',
  description: "A day's orders per currency, by a Polars function.",
  owner: 'finance@example.com',
  partitions: { kind: 'daily', first: '2024-01-01', lag: 1 },
  source: { kind: 'files', format: 'csv', filePattern: /^part-\d+\.csv$/, columns: ['order_id', 'currency', 'amount'], marker: '_SUCCESS' },
  table: { columns: [{ name: 'currency', type: 'VARCHAR' }, { name: 'orders', type: 'BIGINT' }, { name: 'revenue', type: 'DECIMAL(14,2)' }], uniqueKey: ['currency'] },
  transform: { kind: 'python', function: 'currency_totals:totals', taskQueue },
  quality: { maxRejectedRatio: 0.5 },
  steps: { timeoutSeconds: 120, maxAttempts: 3 },
});

// Its Python worker never runs: nobody serves its queue.
const orphan = definePipeline({ ...pythonTotals, name: 'python_orphan', transform: { kind: 'python', function: 'currency_totals:totals', taskQueue: `nobody-${randomUUID()}` }, steps: { timeoutSeconds: 5, maxAttempts: 3 } });

let h: Harness;
let pythonWorker: PythonWorker;
let pythonWorkerEnv: NodeJS.ProcessEnv;
before(async () => {
  const registry = withReadiness(new PipelineRegistry([pythonTotals, orphan], new Map([[pythonTotals, FOLDER], [orphan, FOLDER]])), {
    python_totals: { pollIntervalSeconds: 1, timeoutSeconds: 30 },
    python_orphan: { pollIntervalSeconds: 1, timeoutSeconds: 30 },
  });
  h = await startHarness({ registry });
  pythonWorkerEnv = { ...process.env, TEMPORAL_ADDRESS: h.env.address, CONVEYOR_LAKE_DIR: h.config.lakeDir, CONVEYOR_PYTHON_TASK_QUEUE: taskQueue, CONTROL_DIR: controlDir };
  pythonWorker = await startPythonWorker(pythonWorkerEnv);
}, START_HOOK_OPTIONS);
after(async () => {
  await pythonWorker?.stop();
  await h?.stop();
  fs.rmSync(controlDir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);


function land(partition: string, pipeline = pythonTotals): void {
  const dir = partitionLandingDir(h.config.landingDir, pipeline, partition);
  fs.mkdirSync(dir, { recursive: true });
  const lines = ['order_id,currency,amount', '1,EUR,10.50', '2,EUR,4.25', '3,USD,7.00', '4,GBP,oops', '5,USD,1.00'];
  fs.writeFileSync(path.join(dir, 'part-0000.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
}

async function run(partition: string, pipeline = pythonTotals) {
  land(partition, pipeline);
  const started = await startPartitionRun(h.env.client, { pipeline: pipeline.name, partition, runKind: 'manual' }, { config: h.config, registry: h.registry });
  return { started, outcome: await waitForPartitionRun(started) };
}

describe('a Python function on the Python worker as the transform', { timeout: 600_000 }, () => {
  it("publishes the function's rows, keeps its rejects, and records what ran", async () => {
    const { started, outcome } = await run('2024-03-01');
    assert.equal(outcome.status, 'succeeded', `${JSON.stringify(outcome)}\n${pythonWorker.log()}`);
    const rows = await h.query<{ currency: string; orders: bigint; revenue: string; run_id: string }>(
      "SELECT currency, orders, revenue::VARCHAR AS revenue, run_id FROM showroom.python_totals WHERE partition_key = '2024-03-01' ORDER BY currency",
    );
    assert.deepEqual(rows.map((r) => [r.currency, r.orders, r.revenue, r.run_id]), [['EUR', 2n, '14.75', started.runId], ['USD', 2n, '8.00', started.runId]]);
    const rejects = await h.query<{ stage: string; reason: string }>("SELECT stage, reason FROM quality.rejects WHERE partition_key = '2024-03-01'");
    assert.deepEqual(rejects, [{ stage: 'transform', reason: 'amount oops is not a number' }]);
    const [record] = await partitionRuns(h.config, 'python_totals', '2024-03-01', h.registry);
    assert.equal(record!.transform?.kind, 'python');
    assert.match(record!.transform!.engine, /^python 3\.\d+\.\d+ \(polars [\d.]+, pyarrow [\d.]+\)$/);
  });

  it('a DataError is data, not retried, in its own words; nothing published', async () => {
    const { outcome } = await run('2024-03-02');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.step, outcome.failure.attempt], ['data', 'transform', 1]);
    assert.match(outcome.failure.reason, /^DataError: every amount is negative: the export is broken \(currency_totals\.py:\d+\)$/);
  });

  it('any other exception is code, with its type and line, never retried', async () => {
    const { outcome } = await run('2024-03-03');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.attempt], ['code', 1]);
    assert.match(outcome.failure.reason, /^ZeroDivisionError: division by zero \(currency_totals\.py:\d+\)$/);
  });

  it('a TransientError is retried, then published', async () => {
    const { outcome } = await run('2024-03-04');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
  });

  it('with no Python worker on its queue, the run fails saying so instead of waiting for ever', async () => {
    const { outcome } = await run('2024-03-06', orphan);
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.step], ['transient', 'transform']);
    assert.match(outcome.failure.reason, /^no Python worker took the step within 5 s: is one serving task queue nobody-[\w-]+\? \(npx conveyor python-worker\)$/);
  });

  it("a cancelled run stops the function's process", async () => {
    land('2024-03-05');
    const started = await startPartitionRun(h.env.client, { pipeline: 'python_totals', partition: '2024-03-05', runKind: 'manual' }, { config: h.config, registry: h.registry });
    const [pid] = await pidsFrom(path.join(controlDir, 'sleeper.pid'), 60_000);
    await started.handle.cancel();
    await assert.rejects(started.handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
    for (let waited = 0; alive(pid!); waited += 200) {
      assert.ok(waited < 45_000, `the function's process ${pid} still runs`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('a Python worker killed mid-function: its function process ends with it, and a new worker publishes the partition once', async () => {
    land('2024-03-07');
    const started = await startPartitionRun(h.env.client, { pipeline: 'python_totals', partition: '2024-03-07', runKind: 'manual' }, { config: h.config, registry: h.registry });
    const [pid] = await pidsFrom(path.join(controlDir, 'crash.pid'), 60_000);
    await pythonWorker.crash();
    for (let waited = 0; alive(pid!); waited += 200) {
      assert.ok(waited < 15_000, `the function's process ${pid} outlived its worker`);
      await new Promise((r) => setTimeout(r, 200));
    }
    pythonWorker = await startPythonWorker(pythonWorkerEnv);
    const outcome = await waitForPartitionRun(started);
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    const rows = await h.query<{ currency: string; run_id: string }>("SELECT currency, run_id FROM showroom.python_totals WHERE partition_key = '2024-03-07' ORDER BY currency");
    assert.deepEqual(rows, [{ currency: 'EUR', run_id: started.runId }, { currency: 'USD', run_id: started.runId }]);
  });
});
